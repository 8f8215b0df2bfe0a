// Command local runs the workflow offline. Its "exec" subcommand runs any
// ASL document with stubbed Task results (see exec.go).
package main

import "os"

func main() {
	if len(os.Args) > 1 && os.Args[1] == "exec" {
		os.Exit(runExec(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(runWorkflow(os.Args[1:], os.Stdout, os.Stderr))
}
