/**
 * @module
 * The error of an LDAP directory that could not be asked, in a file of its own so that
 * `authenticate` can recognise it without loading the LDAP client when LDAP is not configured.
 */

/** The directory could not be asked (down, TLS failure, the search account refused). */
export class LdapUnavailableError extends Error {}
