package policy

import "slices"

// preset is what a level fills in for the fields an environment leaves out;
// the package comment shows the table.
type preset struct {
	requireDigest        bool
	require              []AttestationType
	runnerEnvironment    RunnerEnvironment
	maxSeverity          Severity
	unknownAs            Severity
	approvals            int
	preventSelfReview    bool
	tiedToEvidence       bool
	rollbackRequired     bool
	allowFirstRelease    bool
	breakGlassAllowed    bool
	requireJustification bool
	// needs are fields the level requires the file to list, because no
	// default can know them.
	needs bool
}

var presets = map[Level]preset{
	LevelMinimum: {
		requireDigest:        true,
		require:              []AttestationType{AttestationProvenance},
		runnerEnvironment:    RunnerAny,
		maxSeverity:          SeverityCritical,
		unknownAs:            SeverityCritical,
		approvals:            1,
		allowFirstRelease:    true,
		requireJustification: true,
	},
	LevelBetter: {
		requireDigest:        true,
		require:              []AttestationType{AttestationProvenance, AttestationSBOM},
		runnerEnvironment:    RunnerAny,
		maxSeverity:          SeverityHigh,
		unknownAs:            SeverityCritical,
		approvals:            1,
		preventSelfReview:    true,
		tiedToEvidence:       true,
		allowFirstRelease:    true,
		requireJustification: true,
	},
	LevelStrong: {
		requireDigest:        true,
		require:              []AttestationType{AttestationProvenance, AttestationSBOM, AttestationVuln, AttestationTest},
		runnerEnvironment:    RunnerGitHubHosted,
		maxSeverity:          SeverityMedium,
		unknownAs:            SeverityCritical,
		approvals:            1,
		preventSelfReview:    true,
		tiedToEvidence:       true,
		rollbackRequired:     true,
		requireJustification: true,
		needs:                true,
	},
}

// applyPreset fills the fields not in set from e's level (minimum when it
// has none) and records them in e.Defaults.
func applyPreset(e *Environment, set map[string]bool) {
	if e.Level == "" {
		e.Level = LevelMinimum
	}
	ps := presets[e.Level]
	fill := func(name string, apply func()) {
		if !set[name] {
			apply()
			e.Defaults = append(e.Defaults, name)
		}
	}
	fill("level", func() {})
	fill("subject.requireDigest", func() { e.Subject.RequireDigest = ps.requireDigest })
	fill("require", func() { e.Require = slices.Clone(ps.require) })
	fill("builder.runnerEnvironment", func() { e.Builder.RunnerEnvironment = ps.runnerEnvironment })
	fill("vulnerabilities.maxSeverity", func() { e.Vulnerabilities.MaxSeverity = ps.maxSeverity })
	fill("vulnerabilities.unknownAs", func() { e.Vulnerabilities.UnknownAs = ps.unknownAs })
	fill("approvals.minimum", func() { e.Approvals.Minimum = ps.approvals })
	fill("approvals.preventSelfReview", func() { e.Approvals.PreventSelfReview = ps.preventSelfReview })
	fill("approvals.tiedToEvidence", func() { e.Approvals.TiedToEvidence = ps.tiedToEvidence })
	fill("rollback.required", func() { e.Rollback.Required = ps.rollbackRequired })
	fill("rollback.allowFirstRelease", func() { e.Rollback.AllowFirstRelease = ps.allowFirstRelease })
	fill("breakGlass.allowed", func() { e.BreakGlass.Allowed = ps.breakGlassAllowed })
	fill("breakGlass.requireJustification", func() { e.BreakGlass.RequireJustification = ps.requireJustification })
}

// missingForLevel lists what e's level requires the file to say and it
// does not.
func (e *Environment) missingForLevel() []string {
	var missing []string
	if e.Level == LevelBetter && len(e.SignersFor(KindProvenance)) == 0 {
		missing = append(missing, "signers: list who may sign its build evidence (signers.build)")
	}
	if !presets[e.Level].needs {
		return missing
	}
	if len(e.Source.Repositories) == 0 {
		missing = append(missing, "source.repositories: list the repositories it may be built from")
	}
	if len(e.Builder.IDs) == 0 {
		missing = append(missing, "builder.ids: list the builders you trust, with their @ref")
	}
	if len(e.SignersFor(KindProvenance)) == 0 {
		missing = append(missing, "signers: list who may sign its evidence (signers.build)")
	}
	return missing
}
