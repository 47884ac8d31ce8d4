// Package e2e runs meshwright the way its users do: as a KRM function under
// the real kpt and kustomize binaries, as an exec function and from its
// container image. `make test` builds the tools it needs; in CI (CI=true) a
// missing tool fails the tests instead of skipping them.
package e2e
