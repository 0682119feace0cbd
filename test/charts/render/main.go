// Command render renders a Helm chart offline the way `helm template` does, for the chart tests: no helm
// binary can be installed on the test machines, but Helm's engine is Go's text/template plus the sprig
// function library plus a handful of Helm's own functions, and Debian ships Go and sprig. This is our own
// small implementation of that engine (GOPATH mode, Debian's packages), covering what a plain chart uses:
// one chart, no subcharts, no hooks, no schema validation, no lookup against a cluster.
//
// Usage: render [--chart DIR] [-f VALUES.yaml]... [--name RELEASE] [--namespace NS]
//
//	[--kube-version v1.33.0] [--api-versions group/version,...] [--notes]
//
// Prints the manifests as `helm template` does ("---\n# Source: chart/templates/x.yaml\n..." in Helm's
// install order) and, with --notes, the rendered NOTES.txt after them under "# NOTES.txt". A template
// error (fail, required, a bad include, invalid YAML) goes to stderr with exit code 1; bad usage exits 2.
package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// fileList collects repeated -f flags in order: later files win, as with helm's -f.
type fileList []string

func (f *fileList) String() string     { return strings.Join(*f, ",") }
func (f *fileList) Set(v string) error { *f = append(*f, v); return nil }

func main() {
	var valueFiles fileList
	chartDir := flag.String("chart", "charts/ipvs-proxier", "chart directory")
	flag.Var(&valueFiles, "f", "values file overriding the chart's values.yaml (repeatable, later wins)")
	releaseName := flag.String("name", "release-name", "release name (.Release.Name); helm template's default")
	namespace := flag.String("namespace", "default", "release namespace (.Release.Namespace)")
	kubeVersion := flag.String("kube-version", "v1.33.0", ".Capabilities.KubeVersion")
	apiVersions := flag.String("api-versions", "", "extra group/versions for .Capabilities.APIVersions.Has, comma separated")
	withNotes := flag.Bool("notes", false, "print the rendered NOTES.txt after the manifests")
	flag.Parse()
	if flag.NArg() != 0 {
		fmt.Fprintf(os.Stderr, "render: unexpected arguments %q (values files go after -f)\n", flag.Args())
		os.Exit(2)
	}

	chart, err := loadChart(*chartDir)
	if err != nil {
		fail(err)
	}
	values, err := chartValues(chart, valueFiles)
	if err != nil {
		fail(err)
	}
	caps, err := newCapabilities(*kubeVersion, splitNonEmpty(*apiVersions))
	if err != nil {
		fail(err)
	}
	release := releaseInfo{Name: *releaseName, Namespace: *namespace}

	rendered, err := renderChart(chart, values, release, caps)
	if err != nil {
		fail(err)
	}
	manifests, err := sortedManifests(rendered.files)
	if err != nil {
		fail(err)
	}
	out := formatManifests(manifests)
	if *withNotes {
		out += "# NOTES.txt\n" + rendered.notes + "\n"
	}
	fmt.Print(out)
}

func splitNonEmpty(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if p := strings.TrimSpace(part); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "Error: %v\n", err)
	os.Exit(1)
}
