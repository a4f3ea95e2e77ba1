// Package static embeds the files served under /static/ (styles, scripts, the pinned htmx) and
// gives each a content-hashed URL, so browsers can cache them for a year and still see changes.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"sync"
)

// FS holds the static files.
//
//go:embed css js vendor
var FS embed.FS

var (
	once   sync.Once
	hashes map[string]string
)

func load() {
	hashes = map[string]string{}
	_ = fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := FS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		hashes[p] = hex.EncodeToString(sum[:6])
		return nil
	})
}

// URL returns the versioned URL of a static file, e.g. URL("css/app.css") =
// "/static/css/app.css?v=1a2b3c4d5e6f".
func URL(name string) string {
	once.Do(load)
	if h, ok := hashes[name]; ok {
		return "/static/" + name + "?v=" + h
	}
	return "/static/" + name
}
