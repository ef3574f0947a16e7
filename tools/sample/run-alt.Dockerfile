# An alternative run image for the switch-run sample extension: the stack's run image plus a marker.
ARG run_image
FROM ${run_image}
USER root
RUN echo "imgext.local/stack/busybox:run-alt" >/etc/imgext-run-alt
USER 1000:1000
LABEL io.imgext.sample.run-alt=true
