package github

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/relproof/relproof/internal/testing/fakegithub"
)

// paths lists the fake's requests as "PATH?QUERY".
func paths(f *fakegithub.Fake) []string {
	var out []string
	for _, r := range f.Requests() {
		p := r.Path
		if r.Query != "" {
			p += "?" + r.Query
		}
		out = append(out, p)
	}
	return out
}

func TestWorkflowFiles(t *testing.T) {
	t.Parallel()
	const dir = "/repos/octo-org/octo-repo/contents/.github/workflows"
	for _, tc := range []struct {
		name     string
		ref      string
		setup    func(r *fakegithub.Repo)
		want     []WorkflowFile
		wantErr  error
		errNames []string
		requests []string
	}{
		{
			name: "yml and yaml files, in order; other files and subdirectories passed over",
			setup: func(r *fakegithub.Repo) {
				r.Files[".github/workflows/release.yml"] = "name: Release\n"
				r.Files[".github/workflows/ci.YAML"] = "name: CI\n"
				r.Files[".github/workflows/README.md"] = "# workflows\n"
				r.Files[".github/workflows/templates/x.yml"] = "name: not read\n"
				r.Files[".github/dependabot.yml"] = "version: 2\n"
			},
			want:     []WorkflowFile{{Path: ".github/workflows/ci.YAML", Data: []byte("name: CI\n")}, {Path: ".github/workflows/release.yml", Data: []byte("name: Release\n")}},
			requests: []string{dir, dir + "/ci.YAML", dir + "/release.yml"},
		},
		{
			name: "at a ref",
			ref:  "feature",
			setup: func(r *fakegithub.Repo) {
				r.Files[".github/workflows/release.yml"] = "name: Release\n"
				r.RefFiles = map[string]map[string]string{"feature": {".github/workflows/release.yml": "name: Release v2\n"}}
			},
			want:     []WorkflowFile{{Path: ".github/workflows/release.yml", Data: []byte("name: Release v2\n")}},
			requests: []string{dir + "?ref=feature", dir + "/release.yml?ref=feature"},
		},
		{
			name:     "no .github/workflows",
			setup:    func(r *fakegithub.Repo) { r.Files[".github/dependabot.yml"] = "version: 2\n" },
			requests: []string{dir},
		},
		{
			name:     "a ref GitHub does not know is no repository without workflows",
			ref:      "nope",
			setup:    func(r *fakegithub.Repo) {},
			wantErr:  ErrNotFound,
			requests: []string{dir + "?ref=nope"},
		},
		{
			name: "a symlink is refused, and nothing read",
			setup: func(r *fakegithub.Repo) {
				r.Files[".github/workflows/ci.yml"] = "name: CI\n"
				r.Files["deploy/release.yml"] = "name: Release\n"
				r.Symlinks = map[string]string{".github/workflows/release.yml": "../../deploy/release.yml"}
			},
			wantErr:  ErrWorkflowFile,
			errNames: []string{".github/workflows/release.yml is a symlink"},
			requests: []string{dir},
		},
		{
			name: "files above 1 MiB and submodules are refused, each named",
			setup: func(r *fakegithub.Repo) {
				r.Files[".github/workflows/ci.yml"] = "name: CI\n"
				r.Files[".github/workflows/big.yml"] = strings.Repeat("#", MaxWorkflowFileSize+1)
				r.Submodules = map[string]string{".github/workflows/shared.yml": "https://github.com/octo-org/shared.git"}
			},
			wantErr:  ErrWorkflowFile,
			errNames: []string{".github/workflows/big.yml is 1048577 bytes", ".github/workflows/shared.yml is a submodule"},
			requests: []string{dir},
		},
		{
			name: "a file of exactly 1 MiB is read",
			setup: func(r *fakegithub.Repo) {
				r.Files[".github/workflows/big.yml"] = strings.Repeat("#", MaxWorkflowFileSize)
			},
			want:     []WorkflowFile{{Path: ".github/workflows/big.yml", Data: []byte(strings.Repeat("#", MaxWorkflowFileSize))}},
			requests: []string{dir, dir + "/big.yml"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv, _ := fake(t)
			f.Update(func(s *fakegithub.State) {
				r := s.Repo("octo-org/octo-repo")
				r.Files = map[string]string{}
				tc.setup(r)
			})
			got, err := client(t, srv).WorkflowFiles(context.Background(), octo, tc.ref)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				for _, n := range tc.errNames {
					if !strings.Contains(err.Error(), n) {
						t.Errorf("err %q does not say %q", err, n)
					}
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("files (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.requests, paths(f)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOrgRepos(t *testing.T) {
	t.Parallel()
	f, srv, _ := fake(t) // pages of two: five repositories are three pages
	f.Update(func(s *fakegithub.State) {
		s.AddOrgRepos("acme", 5, func(i int, r *fakegithub.Repo) {
			switch i {
			case 1:
				r.Archived = true
			case 2:
				r.Fork = true
			case 3:
				r.Private, r.DefaultBranch = true, "trunk"
			}
		})
	})
	c := client(t, srv)
	got, err := c.OrgRepos(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	repo := func(i int) Repo { return Repo{Owner: "acme", Name: fmt.Sprintf("service-%03d", i)} }
	want := []OrgRepository{
		{Repo: repo(0), DefaultBranch: "main"},
		{Repo: repo(1), DefaultBranch: "main", Archived: true},
		{Repo: repo(2), DefaultBranch: "main", Fork: true},
		{Repo: repo(3), DefaultBranch: "trunk", Private: true},
		{Repo: repo(4), DefaultBranch: "main"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("repositories (-want +got):\n%s", diff)
	}
	const list = "/orgs/acme/repos?direction=asc&"
	wantReqs := []string{list + "per_page=100&sort=full_name&type=all", list + "page=2&per_page=100&sort=full_name&type=all", list + "page=3&per_page=100&sort=full_name&type=all"}
	if diff := cmp.Diff(wantReqs, paths(f)); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	if calls := f.Calls(); calls["org:acme"] != 3 || len(calls) != 1 {
		t.Errorf("calls = %v", calls)
	}

	if _, err := c.OrgRepos(context.Background(), "nobody"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown organization: %v, want ErrNotFound", err)
	}
}

func TestRecentDeployments(t *testing.T) {
	t.Parallel()
	digest := func(s string) string { return "sha256:" + strings.Repeat(s, 64) }
	setup := func(s *fakegithub.State) {
		r := s.Repo("octo-org/octo-repo")
		r.Deployments = nil
		at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
		for i, p := range []string{
			`{"digest":"` + digest("a") + `","subject":"ghcr.io/octo-org/app"}`,
			``, // GitHub Actions' deployment for an environment-gated job
			`"{\"digest\":\"` + digest("b") + `\",\"rollback_digest\":\"` + digest("a") + `\"}"`, // a payload given as a JSON string
			`{"image":"ghcr.io/octo-org/app:v2"}`,
			`{"digest":"` + digest("c") + `"}`,
		} {
			r.Deployments = append(r.Deployments, &fakegithub.Deployment{ID: s.ID(), SHA: fakegithub.SHA(fmt.Sprint(i)), Ref: fmt.Sprintf("v1.%d.0", i), Task: "deploy",
				Environment: []string{"production", "staging"}[i%2], Creator: "relproof[bot]", Payload: []byte(p), CreatedAt: at.Add(time.Duration(i) * time.Hour),
				Statuses: []*fakegithub.DeploymentStatus{{ID: s.ID(), State: "success", CreatedAt: at}}})
		}
	}
	for _, tc := range []struct {
		name     string
		pageSize int
		n        int
		digests  []string
		envs     []string
		requests []string
	}{
		{"three of five, one request", 100, 3, []string{digest("c"), "", digest("b")}, []string{"production", "staging", "production"},
			[]string{"/repos/octo-org/octo-repo/deployments?per_page=3"}},
		{"more than there are", 100, 10, []string{digest("c"), "", digest("b"), "", digest("a")}, []string{"production", "staging", "production", "staging", "production"},
			[]string{"/repos/octo-org/octo-repo/deployments?per_page=10"}},
		{"across pages of two", 2, 3, []string{digest("c"), "", digest("b")}, []string{"production", "staging", "production"},
			[]string{"/repos/octo-org/octo-repo/deployments?per_page=3", "/repos/octo-org/octo-repo/deployments?page=2&per_page=3"}},
		{"none asked", 100, 0, nil, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			f, srv := fakegithub.Start(t, fakegithub.WithToken(testToken), fakegithub.WithPageSize(tc.pageSize))
			f.Update(setup)
			got, err := client(t, srv).RecentDeployments(context.Background(), octo, tc.n)
			if err != nil {
				t.Fatal(err)
			}
			var digests, envs []string
			for _, d := range got {
				digests, envs = append(digests, d.Digest), append(envs, d.Environment)
				if d.Repository != "octo-org/octo-repo" || d.ID == 0 || d.URL == "" || d.SHA == "" || d.Ref == "" || d.Creator != "relproof[bot]" || d.CreatedAt.IsZero() || d.Statuses != nil {
					t.Errorf("deployment %+v", d)
				}
			}
			if diff := cmp.Diff(tc.digests, digests); diff != "" {
				t.Errorf("digests (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.envs, envs); diff != "" {
				t.Errorf("environments (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.requests, paths(f)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if tc.n == 3 && (got[0].Subject != "" || got[2].RollbackDigest != digest("a")) {
				t.Errorf("payload fields: %+v", got)
			}
		})
	}
}
