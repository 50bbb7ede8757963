import { lookup } from 'node:dns/promises'
import { BlockList, isIP } from 'node:net'

/**
 * Outbound webhook requests never reach the service's own network by surprise (issue 20): an address in one of
 * these ranges is refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is set. Checked when a webhook is created or its
 * URL changed, and again at every delivery on the addresses the name resolves to then, and the request connects
 * to exactly the address checked (delivery.ts passes it as the socket's lookup), so a name that later resolves
 * elsewhere (DNS rebinding) cannot slip past.
 */
const blocked = new BlockList()
for (const [net, bits] of [
  ['0.0.0.0', 8], // "this" network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local (cloud metadata lives here)
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  blocked.addSubnet(net, bits, 'ipv4')
for (const [net, bits] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
  ['64:ff9b::', 96], // NAT64 of any IPv4 (could reach a private one)
] as const)
  blocked.addSubnet(net, bits, 'ipv6')

/** Whether an address is loopback, private, link-local or otherwise not the public internet. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)
  if (mapped) return isPrivateAddress(mapped[1]!)
  const family = isIP(address)
  if (family === 4) return blocked.check(address, 'ipv4')
  if (family === 6) return blocked.check(address, 'ipv6')
  return true
}

export class UnsafeUrlError extends Error {}

/** An http(s) URL without credentials, as a webhook may have; throws UnsafeUrlError saying what is wrong. */
export function parseWebhookUrl(text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UnsafeUrlError('is not a URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UnsafeUrlError('must be http or https')
  if (url.username || url.password) throw new UnsafeUrlError('must not carry credentials')
  if (url.hash) throw new UnsafeUrlError('must not have a fragment')
  return url
}

/** The host's addresses (an IP literal is itself), each checked; the first is the one to connect to. */
export async function resolveSafely(
  url: URL,
  allowPrivate: boolean,
): Promise<{ address: string; family: 4 | 6 }> {
  const host = url.hostname.replace(/^\[|\]$/g, '')
  let addresses: { address: string; family: number }[]
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }]
  else {
    try {
      addresses = await lookup(host, { all: true, verbatim: true })
    } catch {
      throw new UnsafeUrlError(`its host ${host} does not resolve`)
    }
  }
  if (addresses.length === 0) throw new UnsafeUrlError(`its host ${host} does not resolve`)
  if (!allowPrivate) {
    const bad = addresses.find((a) => isPrivateAddress(a.address))
    if (bad)
      throw new UnsafeUrlError(
        `resolves to ${bad.address}, a loopback, private or link-local address (refused unless WEBHOOK_ALLOW_PRIVATE_NETWORKS is set)`,
      )
  }
  const first = addresses[0]!
  return { address: first.address, family: first.family === 6 ? 6 : 4 }
}
