# The sample builder: the stack's build image, the real lifecycle, the sample buildpack and
# extensions. tools/lib/builder.sh assembles the context (cnb/) and the labels pack reads.
ARG build_image
FROM ${build_image}
USER root
COPY cnb/ /cnb/
RUN mkdir -p /platform/env && chmod -R a+rX /cnb /platform
ENV CNB_USER_ID=1000 \
    CNB_GROUP_ID=1000
USER 1000:1000
WORKDIR /layers
