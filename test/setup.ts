import { afterAll } from 'vitest'
import { cleanupTestDatabase } from './helpers/db'

afterAll(cleanupTestDatabase)
