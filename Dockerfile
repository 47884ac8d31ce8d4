# meshwright as a KRM function container: the static binary and a passwd
# entry for nobody, nothing else. Base images cannot be pulled where this is
# built, and need not be: Go builds the binary (make image does both).
#
#   CGO_ENABLED=0 go build -o bin/image/meshwright ./cmd/meshwright
#   buildah bud --isolation chroot -t localhost/meshwright:dev .
FROM scratch
# kpt runs function containers with --user nobody: without the entry the
# runtime fails with "unable to find user nobody"
COPY bin/image/passwd bin/image/group /etc/
# the binary needs no files: the CUE schema is embedded and compiled from memory
COPY bin/image/meshwright /usr/local/bin/meshwright
USER 65534:65534
ENTRYPOINT ["/usr/local/bin/meshwright"]
