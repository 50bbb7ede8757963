import { toString as qrSvg } from 'qrcode'
import { useEffect, useState } from 'react'

/** A QR code drawn as SVG in the browser (no request leaves the page; CSP img-src allows data:). */
export function QrCode({ text, size = 220, label }: { text: string; size?: number; label: string }) {
  const [src, setSrc] = useState<string | null>(null)
  useEffect(() => {
    let live = true
    qrSvg(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' }).then((svg) => {
      if (live) setSrc(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`)
    })
    return () => {
      live = false
    }
  }, [text])
  return src ? (
    <img src={src} width={size} height={size} alt={label} style={{ imageRendering: 'pixelated' }} />
  ) : (
    <div style={{ width: size, height: size }} />
  )
}
