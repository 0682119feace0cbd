package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v2"
)

// installOrder is Helm's releaseutil.InstallOrder: the order in which helm installs (and helm template
// prints) resources by kind. Kinds not listed come after these, alphabetically by kind.
var installOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
	"PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole",
	"ClusterRoleList", "ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding",
	"RoleBindingList", "Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
}

type manifest struct {
	source string // template name
	index  int    // position of the document inside its template's output
	kind   string
	body   string
}

// documentSeparator is the one Helm splits rendered files with: a line starting with ---.
var documentSeparator = regexp.MustCompile("(?:^|\\s*\n)---\\s*")

// head is the part of a manifest Helm parses to sort it; a document that is not YAML fails here, with
// the template's name, as it does under helm.
type head struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
}

func sortedManifests(rendered map[string]string) ([]manifest, error) {
	var out []manifest
	for source, text := range rendered {
		docs := documentSeparator.Split(strings.TrimSpace(text), -1)
		index := 0
		for _, doc := range docs {
			doc = strings.TrimSpace(doc)
			if doc == "" {
				continue
			}
			var h head
			if err := yaml.Unmarshal([]byte(doc), &h); err != nil {
				return nil, fmt.Errorf("YAML parse error on %s: %v", source, err)
			}
			out = append(out, manifest{source: source, index: index, kind: h.Kind, body: doc})
			index++
		}
	}
	rank := map[string]int{}
	for i, k := range installOrder {
		rank[k] = i
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		ra, aKnown := rank[a.kind]
		rb, bKnown := rank[b.kind]
		switch {
		case aKnown && bKnown && ra != rb:
			return ra < rb
		case aKnown != bKnown:
			return aKnown
		case !aKnown && a.kind != b.kind:
			return a.kind < b.kind
		case a.source != b.source:
			return a.source < b.source
		default:
			return a.index < b.index
		}
	})
	return out, nil
}

// formatManifests prints manifests as helm template does.
func formatManifests(ms []manifest) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.source, m.body)
	}
	return b.String()
}
