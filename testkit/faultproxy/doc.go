// Package faultproxy is a reverse proxy for tests. It sits in front of a
// real registry (testkit/testenv.StartRegistry) and, following a script of
// rules, injects the faults that registries in the wild produce: error
// statuses (500, 502, 503, 429, with or without Retry-After), connections
// reset before an answer or in the middle of a blob, stalls, bearer
// tokens that expire (401 until the client fetches a new token), and
// corrupted response bodies.
//
// Everything not matched by a rule is forwarded unchanged, so a test can
// push through the proxy and then check the real registry directly.
package faultproxy
