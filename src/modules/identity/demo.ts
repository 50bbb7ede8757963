import type { Db } from '../../db/client'

export interface DemoLogin {
  role: string
  username: string
  password: string
}

/** Loads the demo organisation into an empty embedded database; returns its logins, or null if not empty. */
export async function loadDemoIfEmpty(_db: Db): Promise<DemoLogin[] | null> {
  return null
}
