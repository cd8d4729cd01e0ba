package cli

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Flag groups: the long help lists each command's flags under these
// headings, in this order. A flag's group is its flagGroupAnnotation, set
// where the shared flags are added (setFlagGroup); a flag without one is
// Other.
const (
	groupSigning = "Signing"
	groupTrust   = "Trust"
	groupGitHub  = "GitHub"
	groupOutput  = "Output"
	groupOther   = "Other"

	flagGroupAnnotation = "relproof_flag_group"
)

var flagGroupOrder = []string{groupSigning, groupTrust, groupGitHub, groupOutput, groupOther}

// setFlagGroup puts the named flags of f in group.
func setFlagGroup(f *pflag.FlagSet, group string, names ...string) {
	for _, name := range names {
		if err := f.SetAnnotation(name, flagGroupAnnotation, []string{group}); err != nil {
			panic(err) // a flag that was never added: a mistake in this package
		}
	}
}

// flagGroup is one heading of the long help and its flags' usages.
type flagGroup struct {
	Name   string
	Usages string
}

// flagGroups are cmd's flags, its own and those it inherits (--output),
// under their groups' headings; groups with no visible flag are left out.
func flagGroups(cmd *cobra.Command) []flagGroup {
	sets := map[string]*pflag.FlagSet{}
	add := func(f *pflag.Flag) {
		group := groupOther
		if g := f.Annotations[flagGroupAnnotation]; len(g) > 0 {
			group = g[0]
		}
		if sets[group] == nil {
			sets[group] = pflag.NewFlagSet(group, pflag.ContinueOnError)
			sets[group].SortFlags = cmd.Flags().SortFlags
		}
		sets[group].AddFlag(f)
	}
	cmd.LocalFlags().VisitAll(add)
	cmd.InheritedFlags().VisitAll(add)
	var groups []flagGroup
	for _, name := range flagGroupOrder {
		if s := sets[name]; s != nil && s.HasAvailableFlags() {
			groups = append(groups, flagGroup{Name: name, Usages: s.FlagUsages()})
		}
	}
	return groups
}

func init() { cobra.AddTemplateFunc("flagGroups", flagGroups) }

// usageTemplate is cobra's, with the flags under their groups' headings
// (flagGroups) instead of "Flags" and "Global Flags".
const usageTemplate = `Usage:{{if .Runnable}}
  {{.UseLine}}{{end}}{{if .HasAvailableSubCommands}}
  {{.CommandPath}} [command]{{end}}{{if gt (len .Aliases) 0}}

Aliases:
  {{.NameAndAliases}}{{end}}{{if .HasExample}}

Examples:
{{.Example}}{{end}}{{if .HasAvailableSubCommands}}

Available Commands:{{range .Commands}}{{if (or .IsAvailableCommand (eq .Name "help"))}}
  {{rpad .Name .NamePadding }} {{.Short}}{{end}}{{end}}{{end}}{{range flagGroups .}}

{{.Name}} Flags:
{{.Usages | trimTrailingWhitespaces}}{{end}}{{if .HasHelpSubCommands}}

Additional help topics:{{range .Commands}}{{if .IsAdditionalHelpTopicCommand}}
  {{rpad .CommandPath .CommandPathPadding}} {{.Short}}{{end}}{{end}}{{end}}{{if .HasAvailableSubCommands}}

Use "{{.CommandPath}} [command] --help" for more information about a command.{{end}}
`
