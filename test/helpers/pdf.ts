import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs'

/** The text of a PDF as a reader extracts it (every page, items joined), its page count and first page's size. */
export async function pdfText(pdf: Buffer): Promise<{ text: string; pages: number; size: number[] }> {
  const doc = await getDocument({ data: new Uint8Array(pdf) }).promise
  let text = ''
  for (let i = 1; i <= doc.numPages; i++) {
    const page = await doc.getPage(i)
    const content = await page.getTextContent()
    text += content.items.map((item) => ('str' in item ? item.str : '')).join('')
  }
  const first = await doc.getPage(1)
  return { text, pages: doc.numPages, size: first.view.slice(2) }
}
