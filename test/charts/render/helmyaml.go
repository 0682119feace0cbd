package main

// Helm reads and writes YAML through sigs.k8s.io/yaml, which goes through JSON: values files become
// map[string]interface{} with every number a float64, and toYaml marshals to JSON first, so map keys come
// out sorted and lists sit at their parent key's indentation. These helpers reproduce that with yaml.v2
// (the YAML 1.1 library sigs.k8s.io/yaml wraps) and encoding/json, so that templates see the same types
// and print the same text as under helm.

import (
	"encoding/json"
	"fmt"
	"strings"

	"gopkg.in/yaml.v2"
)

// readValues parses a values file as Helm does: an empty file is an empty map.
func readValues(raw []byte) (map[string]interface{}, error) {
	var m map[string]interface{}
	if err := yamlToJSONTypes(raw, &m); err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]interface{}{}
	}
	return m, nil
}

// yamlToJSONTypes decodes YAML into out with JSON's types (string keys, float64 numbers).
func yamlToJSONTypes(raw []byte, out interface{}) error {
	var generic interface{}
	if err := yaml.Unmarshal(raw, &generic); err != nil {
		return err
	}
	converted, err := stringKeys(generic)
	if err != nil {
		return err
	}
	j, err := json.Marshal(converted)
	if err != nil {
		return err
	}
	return json.Unmarshal(j, out)
}

// stringKeys turns yaml.v2's map[interface{}]interface{} into JSON-encodable maps; non-string keys
// (true, 1) become their text, as sigs.k8s.io/yaml does.
func stringKeys(v interface{}) (interface{}, error) {
	switch t := v.(type) {
	case map[interface{}]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, val := range t {
			c, err := stringKeys(val)
			if err != nil {
				return nil, err
			}
			m[fmt.Sprint(k)] = c
		}
		return m, nil
	case []interface{}:
		out := make([]interface{}, len(t))
		for i, val := range t {
			c, err := stringKeys(val)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	default:
		return v, nil
	}
}

// marshalYAML is sigs.k8s.io/yaml.Marshal: JSON first, then that JSON re-emitted as YAML.
func marshalYAML(v interface{}) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var generic interface{}
	if err := yaml.Unmarshal(j, &generic); err != nil {
		return nil, err
	}
	return yaml.Marshal(generic)
}

// toYaml as Helm defines it: errors become "", the trailing newline is dropped (callers nindent it).
func toYaml(v interface{}) string {
	out, err := marshalYAML(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(out), "\n")
}

func mustToYaml(v interface{}) (string, error) {
	out, err := marshalYAML(v)
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(string(out), "\n"), nil
}

// fromYaml as Helm defines it: a parse error is reported in the map under "Error", not raised.
func fromYaml(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := yamlToJSONTypes([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromYamlArray(s string) []interface{} {
	var a []interface{}
	if err := yamlToJSONTypes([]byte(s), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}

func toJson(v interface{}) string {
	out, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(out)
}

func mustToJson(v interface{}) (string, error) {
	out, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

func fromJson(s string) map[string]interface{} {
	m := map[string]interface{}{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJsonArray(s string) []interface{} {
	var a []interface{}
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		a = []interface{}{err.Error()}
	}
	return a
}
