package cli

import (
	"encoding/json"
	"fmt"
	"io"
)

// report writes v as indented JSON, or calls text to write it for people.
func (g *globalOptions) report(w io.Writer, v any, text func(io.Writer)) error {
	if g.output == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("writing report: %w", err)
		}
		return nil
	}
	text(w)
	return nil
}
