/** `schema.graphql` is imported as text (`with { type: 'text' }`), so the binary embeds it. */
declare module '*.graphql' {
  const text: string
  export default text
}
