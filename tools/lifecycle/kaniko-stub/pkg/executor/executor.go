// Package executor stands in for kaniko's executor: this lifecycle build has no kaniko.
package executor

import (
	"errors"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/osscontainertools/kaniko/pkg/config"
)

// ErrUnavailable is what the extender phase of this lifecycle build reports.
var ErrUnavailable = errors.New("this lifecycle was built without kaniko: the extender phase is unavailable; imgext applies extension Dockerfiles through the Docker daemon instead")

func DoBuild(_ *config.KanikoOptions) (v1.Image, error) {
	return nil, ErrUnavailable
}
