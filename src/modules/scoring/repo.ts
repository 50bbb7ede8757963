/**
 * The scoring module's SQL, by noun: claims (and what finalize reads of them), rounds (panel, scores,
 * results) and objections. Services import this one module as `repo`.
 */
export * from './claims-repo'
export * from './objections-repo'
export * from './rounds-repo'
