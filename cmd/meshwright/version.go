package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

// versionInfo is what `meshwright version` prints: the module version and
// the commit the binary was built from, as the Go toolchain stamped them.
type versionInfo struct {
	// Version is the module version: v1.2.3 from `go install ...@v1.2.3`,
	// a pseudo-version from a build in a checkout, or (devel) when the
	// toolchain recorded none (go run, -buildvcs=false).
	Version string `json:"version"`
	// Commit is the VCS revision of a build in a checkout, "" when unknown.
	Commit string `json:"commit"`
	// CommitTime is the commit's time, RFC 3339; "" when unknown.
	CommitTime string `json:"commitTime"`
	// Modified: the checkout had local changes.
	Modified  bool   `json:"modified"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

func currentVersion() versionInfo { return versionFrom(debug.ReadBuildInfo()) }

// versionFrom reads what the toolchain stamped into the binary.
func versionFrom(info *debug.BuildInfo, ok bool) versionInfo {
	v := versionInfo{Version: "(devel)", GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if !ok || info == nil {
		return v
	}
	if info.Main.Version != "" {
		v.Version = info.Main.Version
	}
	if info.GoVersion != "" {
		v.GoVersion = info.GoVersion
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.time":
			v.CommitTime = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// String is the text form of `meshwright version`.
func (v versionInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "meshwright %s\n", v.Version)
	commit := v.Commit
	if commit == "" {
		commit = "unknown"
	}
	if v.Modified {
		commit += " (modified)"
	}
	fmt.Fprintf(&b, "commit:   %s\n", commit)
	if v.CommitTime != "" {
		fmt.Fprintf(&b, "date:     %s\n", v.CommitTime)
	}
	fmt.Fprintf(&b, "go:       %s\n", v.GoVersion)
	fmt.Fprintf(&b, "platform: %s\n", v.Platform)
	return b.String()
}

func (a *app) newVersionCommand() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version [-o json]",
		Short: "Print the version, commit and Go version",
		Long: `Version prints the module version and the commit meshwright was built from,
as the Go toolchain recorded them, and the Go version. A binary built
without that information (go run, -buildvcs=false) says (devel).`,
		Args: args(cobra.NoArgs),
		RunE: runE(func(cmd *cobra.Command, _ []string) error {
			v := currentVersion()
			switch output {
			case "text":
				_, err := fmt.Fprint(a.stdout, v)
				return err
			case "json":
				out, err := json.MarshalIndent(v, "", "  ")
				if err != nil {
					return err
				}
				_, err = fmt.Fprintf(a.stdout, "%s\n", out)
				return err
			}
			return usageErrorf("unknown output format %q (use text or json)", output)
		}),
	}
	cmd.Flags().StringVarP(&output, "output", "o", "text", "output `FORMAT`: text or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"text", "json"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
