// Package mpc is the secure multi-party computation engine: additive secret
// sharing over Z_2^64 and over the wide rings Z_2^(64·w), whose sums carry
// from word to word and open exact totals of wide integers and of
// fixed-point reals and nothing else (private against any n−1 parties);
// honest-majority Shamir sharing over the field 2^61−1 with multiplication,
// random bits, comparison, the result-only rank search and the check of
// pooled counts against a threshold (private against any coalition of
// fewer than n/2 members, with checked openings); sessions that bind every
// message to (session, step, sender, receiver), the transports that carry
// those messages between parties, and the protocols that run over a session.
//
// It knows nothing of datasets, policies, Jupyter or scripting. A protocol is
// a function over a *Session; a Transport moves Messages; a Hub holds the
// mailboxes of one party. Tests run every party in one process with a
// LocalNetwork; nodes use the HTTP transport with mutual TLS.
package mpc
