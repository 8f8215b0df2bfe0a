package fleet

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// WriteFiles writes the fleet into dir (created if need be): dir/world.json,
// the world file (indented), and dir/events.jsonl, the events in delivery
// order, one per line.
func (f Fleet) WriteFiles(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	var world bytes.Buffer
	enc := json.NewEncoder(&world)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(f.World); err != nil {
		return fmt.Errorf("fleet: encode the world: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "world.json"), world.Bytes(), 0o644); err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	return writeLines(filepath.Join(dir, "events.jsonl"), f.Events)
}

func writeLines(path string, events []Event) (err error) {
	file, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	defer func() {
		if cerr := file.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("fleet: %w", cerr)
		}
	}()
	w := bufio.NewWriterSize(file, 1<<20)
	for _, ev := range events {
		w.Write(ev.JSON)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return fmt.Errorf("fleet: %w", err)
	}
	return nil
}
