package latch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// AddOpenAPI adds fragment, a part of an OpenAPI 3 document, to the one
// Handler serves at /v1/openapi.json, so that the document lists what this
// Auth serves and nothing of a plugin that is not registered. fragment is a
// JSON object with "paths" (the plugin's routes, which may refer to the
// kernel's components, #/components/schemas/Errors say) and optionally
// "components" (its own schemas, responses, …). It refuses a path or a
// component the document already has; New refuses an operation that no
// route Handler serves.
func (h *Host) AddOpenAPI(fragment []byte) error {
	f, err := parseOpenAPIFragment(fragment)
	if err != nil {
		return fmt.Errorf("OpenAPI fragment: %w", err)
	}
	p := &h.a.plugins
	if p.openAPINames == nil {
		_, kernel, err := kernelOpenAPI()
		if err != nil {
			return err
		}
		p.openAPINames = map[string]bool{}
		for _, n := range kernel.names() {
			p.openAPINames[n] = true
		}
	}
	names := f.names()
	for _, name := range names {
		if p.openAPINames[name] {
			return fmt.Errorf("OpenAPI fragment: %s is in the document already", name)
		}
	}
	for _, name := range names {
		p.openAPINames[name] = true
	}
	h.a.plugins.fragments = append(h.a.plugins.fragments, f)
	return nil
}

// openAPIFragment is a parsed fragment, its members in their order.
type openAPIFragment struct {
	paths      []jsonMember
	components []openAPISection
}

type openAPISection struct {
	name    string
	members []jsonMember
}

type jsonMember struct {
	name  string
	value json.RawMessage
}

// names lists what f adds, as "path /x" and "schemas/X".
func (f openAPIFragment) names() []string {
	var out []string
	for _, p := range f.paths {
		out = append(out, "path "+p.name)
	}
	for _, s := range f.components {
		for _, m := range s.members {
			out = append(out, "components/"+s.name+"/"+m.name)
		}
	}
	return out
}

func parseOpenAPIFragment(b []byte) (openAPIFragment, error) {
	var f openAPIFragment
	top, err := jsonObject(b)
	if err != nil {
		return f, err
	}
	for _, m := range top {
		switch m.name {
		case "paths":
			if f.paths, err = openAPIPaths(m.value); err != nil {
				return f, err
			}
		case "components":
			if f.components, err = openAPIComponents(m.value); err != nil {
				return f, err
			}
		default:
			// The document's info, servers and security are the kernel's.
			return f, fmt.Errorf("member %q: a fragment has only paths and components", m.name)
		}
	}
	if len(f.paths) == 0 {
		return f, errors.New("no paths")
	}
	return f, nil
}

func openAPIPaths(b json.RawMessage) ([]jsonMember, error) {
	paths, err := jsonObject(b)
	if err != nil {
		return nil, fmt.Errorf("paths: %w", err)
	}
	for _, p := range paths {
		if !strings.HasPrefix(p.name, "/") {
			return nil, fmt.Errorf("path %q does not start with /", p.name)
		}
		if _, err := openAPIOperations(p.value); err != nil {
			return nil, fmt.Errorf("path %s: %w", p.name, err)
		}
	}
	return paths, nil
}

func openAPIComponents(b json.RawMessage) ([]openAPISection, error) {
	sections, err := jsonObject(b)
	if err != nil {
		return nil, fmt.Errorf("components: %w", err)
	}
	out := make([]openAPISection, 0, len(sections))
	for _, s := range sections {
		members, err := jsonObject(s.value)
		if err != nil {
			return nil, fmt.Errorf("components/%s: %w", s.name, err)
		}
		out = append(out, openAPISection{s.name, members})
	}
	return out, nil
}

// openAPIOperations returns the methods of a path item ("get", "post", …),
// refusing one that is not an object.
func openAPIOperations(item json.RawMessage) ([]string, error) {
	ops, err := jsonObject(item)
	if err != nil {
		return nil, err
	}
	var methods []string
	for _, op := range ops {
		switch op.name {
		case "get", "put", "post", "delete", "options", "head", "patch", "trace":
			if _, err := jsonObject(op.value); err != nil {
				return nil, fmt.Errorf("%s: %w", op.name, err)
			}
			methods = append(methods, op.name)
		}
	}
	return methods, nil
}

// kernelOpenAPI reads the embedded document: its members, and its paths
// and components as a fragment.
func kernelOpenAPI() (top []jsonMember, k openAPIFragment, err error) {
	if top, err = jsonObject(openAPI); err != nil {
		return nil, k, fmt.Errorf("latch: openapi.json: %w", err)
	}
	for _, m := range top {
		switch m.name {
		case "paths":
			k.paths, err = openAPIPaths(m.value)
		case "components":
			k.components, err = openAPIComponents(m.value)
		}
		if err != nil {
			return nil, k, fmt.Errorf("latch: openapi.json: %w", err)
		}
	}
	return top, k, nil
}

// assembleOpenAPI makes the served document: the kernel's, with the
// fragments' paths after its own and their components in its sections.
// Every operation a fragment documents must be a route Handler serves.
func (a *Auth) assembleOpenAPI() error {
	p := &a.plugins
	if len(p.fragments) == 0 {
		p.openAPI = openAPI
		return nil
	}
	served := map[string]bool{}
	for _, r := range p.routes {
		served[strings.ToLower(r.method)+" "+r.pattern] = true
	}
	for _, f := range p.fragments {
		for _, path := range f.paths {
			methods, _ := openAPIOperations(path.value) // checked in AddOpenAPI
			for _, m := range methods {
				if !served[m+" "+path.name] {
					return fmt.Errorf("latch: an OpenAPI fragment documents %s %s, which no plugin route serves", strings.ToUpper(m), path.name)
				}
			}
		}
	}

	top, kernel, err := kernelOpenAPI()
	if err != nil {
		return err
	}
	paths, sections := kernel.paths, kernel.components
	for _, f := range p.fragments {
		paths = append(paths, f.paths...)
	next:
		for _, s := range f.components {
			for i := range sections {
				if sections[i].name == s.name {
					sections[i].members = append(sections[i].members, s.members...)
					continue next
				}
			}
			sections = append(sections, s)
		}
	}
	components := make([]jsonMember, 0, len(sections))
	for _, s := range sections {
		components = append(components, jsonMember{s.name, writeJSONObject(s.members)})
	}
	hasComponents := false
	for i, m := range top {
		switch m.name {
		case "paths":
			top[i].value = writeJSONObject(paths)
		case "components":
			top[i].value, hasComponents = writeJSONObject(components), true
		}
	}
	if !hasComponents {
		top = append(top, jsonMember{"components", writeJSONObject(components)})
	}
	var out bytes.Buffer
	if err := json.Indent(&out, writeJSONObject(top), "", " "); err != nil {
		return fmt.Errorf("latch: assembling the OpenAPI document: %w", err)
	}
	p.openAPI = out.Bytes()
	return nil
}

// jsonObject returns the members of the JSON object b in their order,
// refusing anything else and a name given twice.
func jsonObject(b []byte) ([]jsonMember, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	var out []jsonMember
	seen := map[string]bool{}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		name, _ := t.(string)
		if seen[name] {
			return nil, fmt.Errorf("%q appears twice", name)
		}
		seen[name] = true
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", err)
		}
		out = append(out, jsonMember{name, v})
	}
	if _, err := d.Token(); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if _, err := d.Token(); err == nil {
		return nil, errors.New("data after the object")
	}
	return out, nil
}

// writeJSONObject writes members as one JSON object, in their order.
func writeJSONObject(members []jsonMember) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(m.name)
		b.Write(name)
		b.WriteByte(':')
		b.Write(m.value)
	}
	b.WriteByte('}')
	return b.Bytes()
}
