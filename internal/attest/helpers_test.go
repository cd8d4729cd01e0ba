package attest

import "github.com/go-git/go-git/v5/config"

var gitconfigRemote = config.RemoteConfig{Name: "origin", URLs: []string{"https://user:token@example.com/acme/app.git"}}
