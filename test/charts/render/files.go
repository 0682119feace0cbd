package main

import (
	"io/ioutil"
	"path/filepath"
	"strings"
)

// files is .Files: read access to the chart's own files, by path relative to the chart directory.
type files struct {
	dir string
}

// Get returns a file's content, or "" when it does not exist or lies outside the chart, as Helm does.
func (f files) Get(name string) string {
	clean := filepath.Clean(name)
	if filepath.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return ""
	}
	data, err := ioutil.ReadFile(filepath.Join(f.dir, clean))
	if err != nil {
		return ""
	}
	return string(data)
}
