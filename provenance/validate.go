package provenance

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// hexDigestBytes are the digest lengths of the in-toto DigestSet
// algorithms this validator checks; others are accepted as they are.
var hexDigestBytes = map[string]int{
	"sha256": 32, "sha384": 48, "sha512": 64, "sha1": 20, "dirHash": 32, "gitCommit": 20,
}

// Validate checks that data is an in-toto Statement v1 carrying a SLSA
// provenance v1 predicate with every field those specifications require:
// _type, a subject with digests, predicateType, buildDefinition.buildType
// (a URI), non-empty buildDefinition.externalParameters, resource
// descriptors with a uri, digest or content, runDetails.builder.id (a
// URI), and timestamps in RFC 3339 where present. It knows nothing of
// gorootimg's own parameters.
func Validate(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var st map[string]any
	if err := dec.Decode(&st); err != nil {
		return fmt.Errorf("provenance: not a JSON object: %w", err)
	}
	if st["_type"] != StatementType {
		return fmt.Errorf("provenance: _type is %v, want %s", st["_type"], StatementType)
	}
	subjects, ok := st["subject"].([]any)
	if !ok || len(subjects) == 0 {
		return errors.New("provenance: subject: want at least one")
	}
	for i, s := range subjects {
		if err := checkDescriptor(s, true); err != nil {
			return fmt.Errorf("provenance: subject[%d]: %w", i, err)
		}
	}
	if st["predicateType"] != PredicateType {
		return fmt.Errorf("provenance: predicateType is %v, want %s", st["predicateType"], PredicateType)
	}
	pred, ok := st["predicate"].(map[string]any)
	if !ok {
		return errors.New("provenance: predicate: want an object")
	}
	if err := checkBuildDefinition(pred["buildDefinition"]); err != nil {
		return fmt.Errorf("provenance: predicate.buildDefinition: %w", err)
	}
	if err := checkRunDetails(pred["runDetails"]); err != nil {
		return fmt.Errorf("provenance: predicate.runDetails: %w", err)
	}
	return nil
}

func checkBuildDefinition(v any) error {
	bd, ok := v.(map[string]any)
	if !ok {
		return errors.New("want an object")
	}
	if err := checkURI(bd["buildType"]); err != nil {
		return fmt.Errorf("buildType: %w", err)
	}
	ext, ok := bd["externalParameters"].(map[string]any)
	if !ok || len(ext) == 0 {
		return errors.New("externalParameters: want a non-empty object")
	}
	if ip, present := bd["internalParameters"]; present {
		if _, ok := ip.(map[string]any); !ok {
			return errors.New("internalParameters: want an object")
		}
	}
	return checkDescriptors(bd, "resolvedDependencies")
}

func checkRunDetails(v any) error {
	rd, ok := v.(map[string]any)
	if !ok {
		return errors.New("want an object")
	}
	b, ok := rd["builder"].(map[string]any)
	if !ok {
		return errors.New("builder: want an object")
	}
	if err := checkURI(b["id"]); err != nil {
		return fmt.Errorf("builder.id: %w", err)
	}
	if ver, present := b["version"]; present {
		m, ok := ver.(map[string]any)
		if !ok {
			return errors.New("builder.version: want an object of strings")
		}
		for k, s := range m {
			if _, ok := s.(string); !ok {
				return fmt.Errorf("builder.version.%s: want a string", k)
			}
		}
	}
	if err := checkDescriptors(b, "builderDependencies"); err != nil {
		return fmt.Errorf("builder.%w", err)
	}
	if md, present := rd["metadata"]; present {
		m, ok := md.(map[string]any)
		if !ok {
			return errors.New("metadata: want an object")
		}
		for _, k := range []string{"startedOn", "finishedOn"} {
			if t, present := m[k]; present {
				s, _ := t.(string)
				if _, err := time.Parse(time.RFC3339, s); err != nil {
					return fmt.Errorf("metadata.%s: want an RFC 3339 time: %v", k, t)
				}
			}
		}
	}
	return checkDescriptors(rd, "byproducts")
}

// checkDescriptors checks the optional list of resource descriptors obj[key].
func checkDescriptors(obj map[string]any, key string) error {
	v, present := obj[key]
	if !present {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return fmt.Errorf("%s: want a list", key)
	}
	for i, d := range list {
		if err := checkDescriptor(d, false); err != nil {
			return fmt.Errorf("%s[%d]: %w", key, i, err)
		}
	}
	return nil
}

// checkDescriptor checks an in-toto ResourceDescriptor: one of uri,
// digest or content at least (a subject needs a digest), and digests of
// known algorithms in lower-case hex of the right length.
func checkDescriptor(v any, needDigest bool) error {
	d, ok := v.(map[string]any)
	if !ok {
		return errors.New("want an object")
	}
	digest, hasDigest := d["digest"]
	if hasDigest {
		m, ok := digest.(map[string]any)
		if !ok || len(m) == 0 {
			return errors.New("digest: want a non-empty object")
		}
		for alg, val := range m {
			s, ok := val.(string)
			if !ok || s == "" {
				return fmt.Errorf("digest.%s: want a string", alg)
			}
			if n, known := hexDigestBytes[alg]; known {
				b, err := hex.DecodeString(s)
				if err != nil || len(b) != n || strings.ToLower(s) != s {
					return fmt.Errorf("digest.%s: want %d bytes in lower-case hex, have %q", alg, n, s)
				}
			}
		}
	}
	if needDigest && !hasDigest {
		return errors.New("digest: required")
	}
	if uri, present := d["uri"]; present {
		if err := checkURI(uri); err != nil {
			return fmt.Errorf("uri: %w", err)
		}
	}
	_, hasContent := d["content"]
	_, hasURI := d["uri"]
	if !hasDigest && !hasURI && !hasContent {
		return errors.New("want at least one of uri, digest or content")
	}
	return nil
}

// checkURI checks an in-toto ResourceURI / TypeURI: a URI with a scheme.
func checkURI(v any) error {
	s, ok := v.(string)
	if !ok || s == "" {
		return errors.New("required")
	}
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return fmt.Errorf("%q: want a URI with a scheme", s)
	}
	return nil
}
