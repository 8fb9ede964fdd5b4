package llbgen

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ExporterConfigKey is the exporter attribute through which BuildKit's image
// and oci exporters take the image config of a build that has no frontend
// (a raw LLB definition): buildctl build --output type=oci,...,containerimage.config=JSON.
const ExporterConfigKey = "containerimage.config"

// ExporterAttr returns the containerimage.config=JSON attribute for cfg,
// quoted as one CSV field so it can be appended to buildctl's --output value
// (which buildctl splits as CSV): --output "type=oci,dest=out.tar,$(ATTR)".
// Pass the config imageconfig.Config returns for the same inputs, so llb images
// get the same Env and labels as gorootimg build's.
func ExporterAttr(cfg *v1.ConfigFile) (string, error) {
	b, err := ExporterConfig(cfg)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	if err := w.Write([]string{ExporterConfigKey + "=" + string(b)}); err != nil {
		return "", fmt.Errorf("quoting image config: %w", err)
	}
	w.Flush()
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

// ExporterConfig returns the image config JSON BuildKit's exporter is given:
// cfg without rootfs, which BuildKit computes from the layers it exports.
// The history is the base's: BuildKit matches it with the base's layers and
// appends entries for the layers the definition adds.
func ExporterConfig(cfg *v1.ConfigFile) ([]byte, error) {
	if cfg == nil {
		return nil, fmt.Errorf("encoding image config: nil config")
	}
	if cfg.OS == "" || cfg.Architecture == "" {
		return nil, fmt.Errorf("encoding image config: os and architecture must both be set (have %q/%q)", cfg.OS, cfg.Architecture)
	}
	c := struct {
		Architecture string       `json:"architecture"`
		Created      *v1.Time     `json:"created,omitempty"`
		History      []v1.History `json:"history,omitempty"`
		OS           string       `json:"os"`
		Variant      string       `json:"variant,omitempty"`
		OSVersion    string       `json:"os.version,omitempty"`
		Config       v1.Config    `json:"config"`
	}{Architecture: cfg.Architecture, History: cfg.History, OS: cfg.OS, Variant: cfg.Variant, OSVersion: cfg.OSVersion, Config: cfg.Config}
	if !cfg.Created.IsZero() {
		c.Created = &cfg.Created
	}
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("encoding image config: %w", err)
	}
	return b, nil
}
