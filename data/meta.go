package data

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/gotpp/gotpp/internal/atomicfile"
)

// MetaFile is the name of a data-set directory's metadata file.
const MetaFile = "meta.json"

// Meta is a data set's meta.json. The fields gotpp uses are typed; every
// other field is kept verbatim in Extra and written back unchanged.
type Meta struct {
	Name     string
	NumTypes int
	// TypeNames[k] names type k. In the file it is either a list indexed by
	// type id or an object {"name": id}; gotpp writes the list.
	TypeNames []string
	Extra     map[string]json.RawMessage
}

// ReadMeta reads dir/meta.json. It returns (nil, nil) when there is none.
func ReadMeta(dir string) (*Meta, error) {
	path := filepath.Join(dir, MetaFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return ParseMeta(path, b)
}

// ParseMeta parses meta.json content; path names it in errors.
func ParseMeta(path string, b []byte) (*Meta, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, &LoadError{File: path, Line: jsonErrLine(b, err), Record: -1, Msg: "malformed JSON: " + err.Error(), Err: err}
	}
	m := &Meta{Extra: map[string]json.RawMessage{}}
	bad := func(field, format string, args ...any) error {
		return &LoadError{File: path, Record: -1, Field: field, Msg: fmt.Sprintf(format, args...)}
	}
	for k, v := range raw {
		switch k {
		case "name":
			if err := json.Unmarshal(v, &m.Name); err != nil {
				return nil, bad(k, "want a string")
			}
		case "num_types":
			if err := json.Unmarshal(v, &m.NumTypes); err != nil || m.NumTypes <= 0 {
				return nil, bad(k, "want a positive integer, got %s", v)
			}
		case "type_names":
			names, err := parseTypeNames(v)
			if err != nil {
				return nil, bad(k, "%v", err)
			}
			m.TypeNames = names
		default:
			m.Extra[k] = v
		}
	}
	if m.NumTypes == 0 {
		m.NumTypes = len(m.TypeNames)
	}
	if len(m.TypeNames) > 0 && len(m.TypeNames) != m.NumTypes {
		return nil, bad("type_names", "has %d names but num_types is %d", len(m.TypeNames), m.NumTypes)
	}
	return m, nil
}

func parseTypeNames(v json.RawMessage) ([]string, error) {
	v = bytes.TrimSpace(v)
	if len(v) > 0 && v[0] == '{' {
		var byName map[string]int
		if err := json.Unmarshal(v, &byName); err != nil {
			return nil, fmt.Errorf("want a list of names or an object name -> id: %v", err)
		}
		names := make([]string, len(byName))
		seen := make([]bool, len(byName))
		for n, id := range byName {
			if id < 0 || id >= len(byName) {
				return nil, fmt.Errorf("id %d of %q outside [0, %d)", id, n, len(byName))
			}
			if seen[id] {
				return nil, fmt.Errorf("id %d used twice", id)
			}
			seen[id] = true
			names[id] = n
		}
		return names, nil
	}
	var names []string
	if err := json.Unmarshal(v, &names); err != nil {
		return nil, fmt.Errorf("want a list of names or an object name -> id: %v", err)
	}
	return names, nil
}

func jsonErrLine(b []byte, err error) int {
	var se *json.SyntaxError
	if errors.As(err, &se) && se.Offset <= int64(len(b)) {
		return 1 + bytes.Count(b[:se.Offset], []byte{'\n'})
	}
	return 0
}

// MarshalJSON writes the typed fields and Extra as one object (keys sorted).
func (m *Meta) MarshalJSON() ([]byte, error) {
	out := make(map[string]any, len(m.Extra)+3)
	for k, v := range m.Extra {
		out[k] = v
	}
	if m.Name != "" {
		out["name"] = m.Name
	}
	if m.NumTypes > 0 {
		out["num_types"] = m.NumTypes
	}
	if len(m.TypeNames) > 0 {
		out["type_names"] = m.TypeNames
	}
	return json.Marshal(out)
}

// SetExtra stores v (marshalled to JSON) under key in Extra.
func (m *Meta) SetExtra(key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if m.Extra == nil {
		m.Extra = map[string]json.RawMessage{}
	}
	m.Extra[key] = b
	return nil
}

// ExtraKeys lists the keys of Extra in sorted order.
func (m *Meta) ExtraKeys() []string {
	keys := make([]string, 0, len(m.Extra))
	for k := range m.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// WriteMeta writes m to dir/meta.json atomically.
func WriteMeta(dir string, m *Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(filepath.Join(dir, MetaFile), append(b, '\n'))
}

// apply copies the metadata onto a dataset.
func (m *Meta) apply(ds *Dataset) {
	if m == nil {
		return
	}
	if m.Name != "" {
		ds.Name = m.Name
	}
	if m.NumTypes > 0 {
		ds.NumTypes = m.NumTypes
	}
	if len(m.TypeNames) > 0 {
		ds.TypeNames = m.TypeNames
	}
}
