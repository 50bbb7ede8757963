import { describe, expect, it } from 'vitest'
import { ORG_KINDS } from '../../src/db/schema/org'
import { idsOnPath, kindFitsUnder } from '../../src/modules/org/domain'

describe('kindFitsUnder', () => {
  it('a kind fits strictly below its parent, skipping levels, never beside or above', () => {
    expect(kindFitsUnder('street', 'community')).toBe(true)
    expect(kindFitsUnder('street', 'branch')).toBe(true)
    expect(kindFitsUnder('branch', 'branch')).toBe(false)
    expect(kindFitsUnder('grid', 'community')).toBe(false)
    expect(ORG_KINDS.some((k) => kindFitsUnder(k, 'root'))).toBe(false)
  })

  it('idsOnPath reads a materialised path root first', () => {
    expect(idsOnPath('/a/b/c/')).toEqual(['a', 'b', 'c'])
  })
})
