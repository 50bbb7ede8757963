const t = process.argv[2]
await import(t.startsWith('.') ? new URL('../' + t.slice(2), import.meta.url).href : t)
if (global.gc) global.gc()
const m = process.memoryUsage()
console.log(
  t,
  'rss',
  (m.rss / 1048576).toFixed(0),
  'heapUsed',
  (m.heapUsed / 1048576).toFixed(0),
  'ext',
  (m.external / 1048576).toFixed(0),
  'ab',
  (m.arrayBuffers / 1048576).toFixed(0),
)
