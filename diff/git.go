package diff

import (
	"bufio"
	"bytes"
	"cmp"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/meshwright/meshwright/schema"
)

// LoadAtRevision reads one side as Load does, from path as it was at the git
// revision rev (a commit, branch, tag or anything git rev-parse accepts) of
// the repository whose work tree holds repoDir. A relative path is relative
// to repoDir, like a path given to git in that directory; it need not exist
// in the work tree. The files are read from git's object store (git ls-tree
// and git cat-file, one process each), never checked out; messages name them
// rev:path, as git show does. A path that does not exist at rev returns an
// error that wraps fs.ErrNotExist. Files under path that are symbolic links
// or submodules are refused: their content is not in the revision's tree.
func LoadAtRevision(repoDir, rev, path string) ([]Object, error) {
	files, err := filesAtRevision(repoDir, rev, path)
	if err != nil {
		return nil, err
	}
	return loadFiles(files)
}

func filesAtRevision(repoDir, rev, path string) ([]schema.File, error) {
	if rev == "" || strings.HasPrefix(rev, "-") {
		return nil, fmt.Errorf("invalid git revision %q", rev)
	}
	top, err := git(repoDir, nil, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, err
	}
	prefix, err := git(repoDir, nil, "rev-parse", "--show-prefix")
	if err != nil {
		return nil, err
	}
	rel, err := repoPath(string(top), string(prefix), path)
	if err != nil {
		return nil, err
	}
	commit, err := git(repoDir, nil, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	if err != nil {
		return nil, fmt.Errorf("%q is not a commit in %s", rev, top)
	}
	args := []string{"ls-tree", "-r", "-z", "--full-tree", string(commit)}
	if rel != "." {
		args = append(args, "--", rel)
	}
	listing, err := git(repoDir, []string{"GIT_LITERAL_PATHSPECS=1"}, args...)
	if err != nil {
		return nil, err
	}
	entries, err := treeEntries(listing, rel)
	if err != nil {
		return nil, err
	}
	display := func(name string) string { return rev + ":" + name }
	if len(entries) == 0 {
		return nil, fmt.Errorf("reading input: %s: %w", display(rel), fs.ErrNotExist)
	}
	single := len(entries) == 1 && entries[0].name == rel
	var wanted []treeEntry
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.name))
		if !single && ext != ".yaml" && ext != ".yml" && e.typ != "commit" {
			continue
		}
		switch {
		case e.typ == "commit":
			return nil, fmt.Errorf("%s is a submodule: its files are not in the revision", display(e.name))
		case e.mode == "120000":
			return nil, fmt.Errorf("%s is a symbolic link: give the path it points to", display(e.name))
		case e.typ != "blob":
			return nil, fmt.Errorf("%s: unexpected git object type %s", display(e.name), e.typ)
		}
		wanted = append(wanted, e)
	}
	// the order meshwright.ReadFiles walks a directory in
	slices.SortFunc(wanted, func(a, b treeEntry) int {
		return slices.Compare(strings.Split(a.name, "/"), strings.Split(b.name, "/"))
	})
	blobs, err := catBlobs(repoDir, wanted)
	if err != nil {
		return nil, err
	}
	files := make([]schema.File, len(wanted))
	for i, e := range wanted {
		files[i] = schema.File{Path: display(e.name), Data: blobs[i]}
	}
	return files, nil
}

// repoPath returns path relative to the repository's top directory, with
// slashes; prefix is repoDir's own place in it (git rev-parse
// --show-prefix).
func repoPath(top, prefix, path string) (string, error) {
	var rel string
	if filepath.IsAbs(path) {
		var err error
		rel, err = filepath.Rel(top, path)
		if err != nil || !local(rel) {
			// top is symlink-free (git resolves it); path may not be
			rel, err = filepath.Rel(top, resolveExisting(path))
			if err != nil {
				return "", fmt.Errorf("%s is not inside the repository %s", path, top)
			}
		}
	} else {
		rel = filepath.Join(filepath.FromSlash(prefix), path)
	}
	rel = filepath.ToSlash(filepath.Clean(rel))
	if !local(rel) {
		return "", fmt.Errorf("%s is not inside the repository %s", path, top)
	}
	return rel, nil
}

func local(rel string) bool { return rel == "." || filepath.IsLocal(rel) }

// resolveExisting resolves the symbolic links of the longest existing prefix
// of path.
func resolveExisting(path string) string {
	rest := ""
	for p := path; ; p = filepath.Dir(p) {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		if filepath.Dir(p) == p {
			return path
		}
		rest = filepath.Join(filepath.Base(p), rest)
	}
}

type treeEntry struct {
	mode, typ, oid, name string
}

// treeEntries parses git ls-tree -z output, keeping rel and what is under
// it (ls-tree's own path matching is not used to decide that).
func treeEntries(listing []byte, rel string) ([]treeEntry, error) {
	var entries []treeEntry
	for _, line := range bytes.Split(listing, []byte{0}) {
		if len(line) == 0 {
			continue
		}
		meta, name, ok := strings.Cut(string(line), "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("unexpected git ls-tree output %q", line)
		}
		if rel != "." && name != rel && !strings.HasPrefix(name, rel+"/") {
			continue
		}
		entries = append(entries, treeEntry{mode: fields[0], typ: fields[1], oid: fields[2], name: name})
	}
	return entries, nil
}

// catBlobs reads the entries' contents with one git cat-file --batch.
func catBlobs(dir string, entries []treeEntry) ([][]byte, error) {
	if len(entries) == 0 {
		return nil, nil
	}
	var in bytes.Buffer
	for _, e := range entries {
		in.WriteString(e.oid)
		in.WriteByte('\n')
	}
	cmd := exec.Command("git", "cat-file", "--batch")
	cmd.Dir = dir
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	r := bufio.NewReader(stdout)
	blobs := make([][]byte, len(entries))
	var readErr error
	for i, e := range entries {
		header, err := r.ReadString('\n')
		if err != nil {
			readErr = fmt.Errorf("git cat-file: reading %s: %w", e.name, err)
			break
		}
		fields := strings.Fields(header)
		if len(fields) != 3 || fields[0] != e.oid || fields[1] != "blob" {
			readErr = fmt.Errorf("git cat-file: unexpected answer %q for %s", strings.TrimSpace(header), e.name)
			break
		}
		size, err := strconv.Atoi(fields[2])
		if err != nil {
			readErr = fmt.Errorf("git cat-file: unexpected answer %q for %s", strings.TrimSpace(header), e.name)
			break
		}
		blob := make([]byte, size+1) // and the newline after it
		if _, err := io.ReadFull(r, blob); err != nil {
			readErr = fmt.Errorf("git cat-file: reading %s: %w", e.name, err)
			break
		}
		blobs[i] = blob[:size]
	}
	if readErr != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, readErr
	}
	if err := cmd.Wait(); err != nil {
		return nil, fmt.Errorf("git cat-file: %v: %s", err, strings.TrimSpace(stderr.String()))
	}
	return blobs, nil
}

// git runs a git command in dir and returns its output without the final
// newline.
func git(dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		return nil, fmt.Errorf("git %s: %s", strings.Join(args, " "), cmp.Or(msg, err.Error()))
	}
	return bytes.TrimSuffix(out, []byte("\n")), nil
}
