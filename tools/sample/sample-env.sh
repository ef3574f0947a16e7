# Sourced by the sample buildpack and extensions (installed as /cnb/sample-env.sh in the builder).
# SAMPLE_EXTENSIONS selects what the sample does, as a space-separated list of words:
#   build          imgext-samples/build-tool extends the build image with `build-tool`
#   run            imgext-samples/run-tool extends the run image with `run-tool`
#   switch         imgext-samples/switch-run switches the run image to ...:run-alt
#   broken         imgext-samples/broken writes a build.Dockerfile whose RUN fails
#   fail-buildpack the buildpack's build fails
# It is read from the platform env (`imgext build --env SAMPLE_EXTENSIONS=...`), else from the
# app's `sample-extensions` file, else it is empty (no extension applies).
sample_selected() { # word
  local platform=${CNB_PLATFORM_DIR:-/platform} list=""
  if [ -f "$platform/env/SAMPLE_EXTENSIONS" ]; then
    list=$(cat "$platform/env/SAMPLE_EXTENSIONS")
  elif [ -f "${CNB_APP_DIR:-$PWD}/sample-extensions" ]; then
    list=$(cat "${CNB_APP_DIR:-$PWD}/sample-extensions")
  fi
  case " $(echo $list) " in
  *" $1 "*) return 0 ;;
  *) return 1 ;;
  esac
}
