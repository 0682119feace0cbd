package main

import (
	"fmt"
	"io/ioutil"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/Masterminds/semver"
	"gopkg.in/yaml.v2"
)

// Maintainer and Metadata mirror Helm's chart.Metadata: templates see .Chart.Name, .Chart.AppVersion and
// so on under these Go field names, and a misspelt field is an error there as it is in Helm.
type Maintainer struct {
	Name  string `yaml:"name"`
	Email string `yaml:"email"`
	URL   string `yaml:"url"`
}

type Metadata struct {
	APIVersion   string            `yaml:"apiVersion"`
	Name         string            `yaml:"name"`
	Version      string            `yaml:"version"`
	AppVersion   string            `yaml:"appVersion"`
	KubeVersion  string            `yaml:"kubeVersion"`
	Description  string            `yaml:"description"`
	Type         string            `yaml:"type"`
	Keywords     []string          `yaml:"keywords"`
	Home         string            `yaml:"home"`
	Sources      []string          `yaml:"sources"`
	Maintainers  []*Maintainer     `yaml:"maintainers"`
	Icon         string            `yaml:"icon"`
	Deprecated   bool              `yaml:"deprecated"`
	Annotations  map[string]string `yaml:"annotations"`
	Condition    string            `yaml:"condition"`
	Tags         string            `yaml:"tags"`
	Dependencies []interface{}     `yaml:"dependencies"`
}

// templateFile is one file under templates/, named as Helm names it: "<chart>/templates/<path>".
type templateFile struct {
	name string
	data string
}

type chart struct {
	dir       string
	metadata  *Metadata
	values    map[string]interface{}
	templates []templateFile
}

func loadChart(dir string) (*chart, error) {
	raw, err := ioutil.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		return nil, fmt.Errorf("loading chart: %v", err)
	}
	md := &Metadata{}
	if err := yaml.UnmarshalStrict(raw, md); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %v", err)
	}
	if err := validateMetadata(md); err != nil {
		return nil, fmt.Errorf("Chart.yaml: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "charts")); err == nil {
		return nil, fmt.Errorf("%s/charts: subcharts are not supported by this renderer", dir)
	}

	values := map[string]interface{}{}
	if raw, err := ioutil.ReadFile(filepath.Join(dir, "values.yaml")); err == nil {
		if values, err = readValues(raw); err != nil {
			return nil, fmt.Errorf("values.yaml: %v", err)
		}
	} else if !os.IsNotExist(err) {
		return nil, err
	}

	templates, err := loadTemplates(dir, md.Name)
	if err != nil {
		return nil, err
	}
	return &chart{dir: dir, metadata: md, values: values, templates: templates}, nil
}

// validateMetadata applies the checks Helm makes when it loads a chart.
func validateMetadata(md *Metadata) error {
	if md.APIVersion != "v2" {
		return fmt.Errorf("apiVersion %q: only v2 charts are supported", md.APIVersion)
	}
	if md.Name == "" {
		return fmt.Errorf("name is required")
	}
	if strings.ContainsAny(md.Name, "/\\") {
		return fmt.Errorf("name %q must not contain a path separator", md.Name)
	}
	if _, err := semver.StrictNewVersion(md.Version); err != nil {
		return fmt.Errorf("version %q is not a valid SemVer 2 version: %v", md.Version, err)
	}
	if md.Type != "" && md.Type != "application" && md.Type != "library" {
		return fmt.Errorf("type %q is neither application nor library", md.Type)
	}
	return nil
}

func loadTemplates(dir, chartName string) ([]templateFile, error) {
	root := filepath.Join(dir, "templates")
	var out []templateFile
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		data, err := ioutil.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, templateFile{name: chartName + "/templates/" + filepath.ToSlash(rel), data: string(data)})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loading templates: %v", err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// chartValues is Helm's "coalesce": the chart's values.yaml, overridden by each -f file in turn.
func chartValues(c *chart, files []string) (map[string]interface{}, error) {
	user := map[string]interface{}{}
	for _, f := range files {
		raw, err := ioutil.ReadFile(f)
		if err != nil {
			return nil, err
		}
		vals, err := readValues(raw)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", f, err)
		}
		user = mergeOverrides(user, vals)
	}
	return coalesce(user, c.values), nil
}

// mergeOverrides merges values files among themselves (helm's mergeMaps): maps merge key by key, anything
// else in the later file replaces the earlier value, including null (which later deletes a default).
func mergeOverrides(base, over map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if vm, ok := v.(map[string]interface{}); ok {
			if bm, ok := out[k].(map[string]interface{}); ok {
				out[k] = mergeOverrides(bm, vm)
				continue
			}
		}
		out[k] = v
	}
	return out
}

// coalesce lays user values over the chart's defaults as Helm does: nested maps merge, lists and scalars
// replace (a user scalar even replaces a default map, with Helm's warning), and a user null removes the
// default key altogether.
func coalesce(user, defaults map[string]interface{}) map[string]interface{} {
	out := make(map[string]interface{}, len(defaults))
	for k, v := range defaults {
		out[k] = v
	}
	for k, uv := range user {
		if uv == nil {
			delete(out, k)
			continue
		}
		um, userIsMap := uv.(map[string]interface{})
		dm, defaultIsMap := out[k].(map[string]interface{})
		if userIsMap && defaultIsMap {
			out[k] = coalesce(um, dm)
			continue
		}
		if defaultIsMap && !userIsMap {
			// Helm keeps the user's value here too, and says so.
			fmt.Fprintf(os.Stderr, "warning: cannot overwrite table with non table for %s (%v)\n", k, dm)
		}
		out[k] = uv
	}
	return out
}
