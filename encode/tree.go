package encode

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/meshwright/meshwright/render"
)

// ManifestName lists, inside an output directory, the files meshwright wrote
// there: the next render removes those it no longer produces and never
// touches any other file.
const ManifestName = ".meshwright-files"

// WriteTree makes dir hold exactly the current render: one file per object
// at Path, stale files of earlier renders removed.
func WriteTree(dir string, objs []render.Object) error {
	docs, err := Objects(objs)
	if err != nil {
		return err
	}
	files := make(map[string][]byte, len(objs))
	for i, o := range objs {
		files[Path(o)] = docs[i]
	}
	return writeFiles(dir, files)
}

// WriteTree is the package's WriteTree for the documents added, which must
// have been kept with their Paths. On an encoding error nothing is written.
func (d *Documents) WriteTree(dir string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.Paths {
		return errors.New("documents kept without their paths: set Documents.Paths")
	}
	if err := errors.Join(slices.Concat(d.errs...)...); err != nil {
		return err
	}
	files := map[string][]byte{}
	for _, docs := range d.bySource {
		for _, doc := range docs {
			files[doc.path] = doc.data
		}
	}
	return writeFiles(dir, files)
}

// writeFiles makes dir hold exactly files, removing the files of the
// previous render that are not among them.
func writeFiles(dir string, files map[string][]byte) error {
	previous, err := readManifest(dir)
	if err != nil {
		return err
	}
	for _, rel := range slices.Sorted(maps.Keys(files)) {
		if err := writeIfChanged(filepath.Join(dir, filepath.FromSlash(rel)), files[rel]); err != nil {
			return err
		}
	}
	for _, rel := range previous {
		if _, keep := files[rel]; keep {
			continue
		}
		if err := removeWithEmptyParents(dir, rel); err != nil {
			return err
		}
	}
	return writeIfChanged(filepath.Join(dir, ManifestName), manifest(files))
}

func manifest(files map[string][]byte) []byte {
	var b bytes.Buffer
	b.WriteString("# Files written by meshwright render -o; it removes them when they are no longer rendered.\n")
	for _, n := range slices.Sorted(maps.Keys(files)) {
		b.WriteString(n)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func readManifest(dir string) ([]string, error) {
	f, err := os.Open(filepath.Join(dir, ManifestName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading output manifest: %w", err)
	}
	defer f.Close()
	var names []string
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// The manifest is ours, but never let it point outside dir.
		if !filepath.IsLocal(filepath.FromSlash(line)) {
			return nil, fmt.Errorf("output manifest %s lists %q, which is not inside the directory", filepath.Join(dir, ManifestName), line)
		}
		names = append(names, line)
	}
	return names, s.Err()
}

// writeIfChanged leaves identical files untouched, so their timestamps show
// what a render changed.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// removeWithEmptyParents removes a stale file and the directories it leaves
// empty, up to dir.
func removeWithEmptyParents(dir, rel string) error {
	path := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing stale output: %w", err)
	}
	for parent := filepath.Dir(path); parent != filepath.Clean(dir); parent = filepath.Dir(parent) {
		if os.Remove(parent) != nil { // not empty, or gone: stop
			break
		}
	}
	return nil
}
