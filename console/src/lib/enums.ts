/**
 * The values of a string enum of the API for a screen (a filter's options), checked by the compiler against the
 * generated client types (client/src/schema.d.ts, from the OpenAPI enum, itself from the server's list): types
 * carry no values at run time, so the values are written here once, in the screen's order, and
 * `enumValues<Status>()([...])` fails to compile when one is missing or unknown.
 */
export function enumValues<U extends string>() {
  return <const L extends readonly U[]>(
    values: L & ([Exclude<U, L[number]>] extends [never] ? unknown : { missing: Exclude<U, L[number]> }),
  ): readonly U[] => values
}
