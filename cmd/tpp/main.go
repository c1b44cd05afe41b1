// Command tpp is gotpp's command-line tool: data handling, simulation,
// training, evaluation, prediction and benchmarking of temporal point
// processes. Each sub-command lives in its own file and only wires flags to
// the library packages.
package main

import (
	"fmt"
	"os"
	"runtime/pprof"

	"github.com/spf13/cobra"
)

var cpuProfile, memProfile string

var rootCmd = &cobra.Command{
	Use:           "tpp",
	Short:         "gotpp: temporal point processes in Go",
	Long:          "tpp loads event-sequence data, simulates, fits, evaluates and benchmarks classical and neural temporal point processes.",
	SilenceUsage:  true,
	SilenceErrors: true,
	PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
		if cpuProfile == "" {
			return nil
		}
		f, err := os.Create(cpuProfile)
		if err != nil {
			return fmt.Errorf("--cpuprofile: %w", err)
		}
		return pprof.StartCPUProfile(f)
	},
	PersistentPostRunE: func(cmd *cobra.Command, args []string) error {
		if cpuProfile != "" {
			pprof.StopCPUProfile()
		}
		return writeMemProfile()
	},
}

// writeMemProfile writes the allocation profile (every allocation since
// the start, by call stack) to --memprofile, if given.
func writeMemProfile() error {
	if memProfile == "" {
		return nil
	}
	f, err := os.Create(memProfile)
	if err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		f.Close()
		return fmt.Errorf("--memprofile: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	return nil
}

func init() {
	rootCmd.PersistentFlags().StringVar(&cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file (inspect with go tool pprof)")
	rootCmd.PersistentFlags().StringVar(&memProfile, "memprofile", "", "write an allocation profile of the command to this file at its end (inspect with go tool pprof -sample_index=alloc_space)")
}

func main() {
	if err := rootCmd.Execute(); err != nil {
		if cpuProfile != "" {
			pprof.StopCPUProfile()
		}
		fmt.Fprintln(os.Stderr, "tpp: error:", err)
		os.Exit(1)
	}
}
