package main

import (
	"bytes"
	"errors"
	"fmt"
	"path"
	"strings"
	"text/template"

	"github.com/Masterminds/semver"
	"github.com/Masterminds/sprig"
)

// KubeVersion, VersionSet and Capabilities mirror Helm's chartutil types, so that
// .Capabilities.KubeVersion.Version/.Major/.Minor and .Capabilities.APIVersions.Has work as in helm.
type KubeVersion struct {
	Version string
	Major   string
	Minor   string
}

func (kv KubeVersion) String() string     { return kv.Version }
func (kv KubeVersion) GitVersion() string { return kv.Version }

type VersionSet []string

// Has reports whether a "group/version" or "group/version/Kind" is served, as Helm's VersionSet.Has.
func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

type HelmVersion struct {
	Version string
}

type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
	HelmVersion HelmVersion
}

// builtinAPIVersions is the part of Helm's default version set (the API groups a plain cluster serves)
// that charts commonly test for. CRD groups such as monitoring.coreos.com/v1 are absent, as under helm
// template, unless --api-versions adds them.
var builtinAPIVersions = []string{
	"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v1", "autoscaling/v2",
	"rbac.authorization.k8s.io/v1", "networking.k8s.io/v1", "discovery.k8s.io/v1",
	"scheduling.k8s.io/v1", "storage.k8s.io/v1", "coordination.k8s.io/v1",
	"apiextensions.k8s.io/v1", "admissionregistration.k8s.io/v1", "events.k8s.io/v1",
	"node.k8s.io/v1", "certificates.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1",
}

func newCapabilities(kubeVersion string, extraAPIVersions []string) (*Capabilities, error) {
	v, err := semver.NewVersion(kubeVersion)
	if err != nil {
		return nil, fmt.Errorf("--kube-version %q: %v", kubeVersion, err)
	}
	versions := append(append(VersionSet{}, builtinAPIVersions...), extraAPIVersions...)
	return &Capabilities{
		KubeVersion: KubeVersion{
			Version: "v" + v.String(),
			Major:   fmt.Sprint(v.Major()),
			Minor:   fmt.Sprint(v.Minor()),
		},
		APIVersions: versions,
		HelmVersion: HelmVersion{Version: "v3-compatible (test/charts/render)"},
	}, nil
}

type releaseInfo struct {
	Name      string
	Namespace string
}

type renderResult struct {
	files map[string]string // rendered manifests by template name (partials and NOTES.txt excluded)
	notes string
}

// recursionLimit is Helm's bound on how deep include may nest (it stops runaway recursive defines).
const recursionLimit = 1000

// renderChart executes every template of the chart with Helm's top-level object and function set.
func renderChart(c *chart, values map[string]interface{}, rel releaseInfo, caps *Capabilities) (*renderResult, error) {
	if err := checkKubeVersion(c.metadata, caps); err != nil {
		return nil, err
	}
	top := map[string]interface{}{
		"Values":       values,
		"Chart":        c.metadata,
		"Capabilities": caps,
		"Release": map[string]interface{}{
			"Name":      rel.Name,
			"Namespace": rel.Namespace,
			"IsInstall": true,
			"IsUpgrade": false,
			"Revision":  1,
			"Service":   "Helm",
		},
		"Files": files{dir: c.dir},
	}

	root := template.New("gotpl").Option("missingkey=zero")
	includeDepth := map[string]int{}
	root.Funcs(helmFuncs(root, includeDepth))
	for _, t := range c.templates {
		if _, err := root.New(t.name).Parse(t.data); err != nil {
			return nil, fmt.Errorf("parse error in %s: %v", t.name, err)
		}
	}

	res := &renderResult{files: map[string]string{}}
	for _, t := range c.templates {
		base := path.Base(t.name)
		if strings.HasPrefix(base, "_") {
			continue // partials only define named templates
		}
		vals := withTemplate(top, t.name, c.metadata.Name+"/templates")
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, t.name, vals); err != nil {
			return nil, err
		}
		// missingkey=zero prints "<no value>" for a missing map key: Helm blanks those out.
		out := strings.ReplaceAll(buf.String(), "<no value>", "")
		if base == "NOTES.txt" {
			res.notes = out
			continue
		}
		res.files[t.name] = out
	}
	return res, nil
}

// checkKubeVersion refuses a chart whose kubeVersion constraint excludes the target cluster, as helm does.
func checkKubeVersion(md *Metadata, caps *Capabilities) error {
	if md.KubeVersion == "" {
		return nil
	}
	constraint, err := semver.NewConstraint(md.KubeVersion)
	if err != nil {
		return fmt.Errorf("Chart.yaml: kubeVersion %q: %v", md.KubeVersion, err)
	}
	v, err := semver.NewVersion(caps.KubeVersion.Version)
	if err != nil {
		return err
	}
	if !constraint.Check(v) {
		return fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", md.KubeVersion, caps.KubeVersion.Version)
	}
	return nil
}

// withTemplate copies the top-level object with .Template set for one file, as Helm does per template.
func withTemplate(top map[string]interface{}, name, basePath string) map[string]interface{} {
	vals := make(map[string]interface{}, len(top)+1)
	for k, v := range top {
		vals[k] = v
	}
	vals["Template"] = map[string]interface{}{"Name": name, "BasePath": basePath}
	return vals
}

// helmFuncs is sprig's text function map minus env/expandenv (Helm keeps charts from reading the
// renderer's environment), plus Helm's own functions. include and tpl close over the template set.
func helmFuncs(root *template.Template, includeDepth map[string]int) template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")

	f["toYaml"] = toYaml
	f["mustToYaml"] = mustToYaml
	f["fromYaml"] = fromYaml
	f["fromYamlArray"] = fromYamlArray
	f["toJson"] = toJson
	f["mustToJson"] = mustToJson
	f["fromJson"] = fromJson
	f["fromJsonArray"] = fromJsonArray
	f["toToml"] = func(interface{}) (string, error) {
		return "", errors.New("toToml is not supported by this renderer")
	}
	// helm template has no cluster to ask: lookup finds nothing.
	f["lookup"] = func(string, string, string, string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}

	f["required"] = func(message string, v interface{}) (interface{}, error) {
		if v == nil {
			return v, errors.New(message)
		}
		if s, ok := v.(string); ok && s == "" {
			return v, errors.New(message)
		}
		return v, nil
	}

	f["include"] = func(name string, data interface{}) (string, error) {
		if includeDepth[name] >= recursionLimit {
			return "", fmt.Errorf("rendering template has a nested reference name: %s: unable to execute template", name)
		}
		includeDepth[name]++
		defer func() { includeDepth[name]-- }()
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, name, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}

	// tpl renders a string as a template in the chart's context: it sees the chart's named templates but
	// does not add its own definitions to them (it works on a clone).
	f["tpl"] = func(text string, vals interface{}) (string, error) {
		clone, err := root.Clone()
		if err != nil {
			return "", err
		}
		clone.Funcs(helmFuncs(clone, includeDepth))
		t, err := clone.New("tpl").Parse(text)
		if err != nil {
			return "", fmt.Errorf("cannot parse template %q: %v", text, err)
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, vals); err != nil {
			return "", fmt.Errorf("error during tpl function execution for %q: %v", text, err)
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	return f
}
