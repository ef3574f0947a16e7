# The run image of imgext's tiny test stack: busybox-static, the CNB user 1000:1000.
FROM scratch
COPY rootfs/ /
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /tmp /workspace /home/cnb /usr/local/bin \
 && chmod 1777 /tmp \
 && chown 1000:1000 /workspace /home/cnb
ENV PATH=/usr/local/bin:/usr/bin:/bin \
    HOME=/home/cnb \
    CNB_USER_ID=1000 \
    CNB_GROUP_ID=1000 \
    CNB_STACK_ID=io.imgext.stacks.busybox
LABEL io.buildpacks.stack.id=io.imgext.stacks.busybox \
      io.buildpacks.base.distro.name=busybox \
      io.buildpacks.base.distro.version=1.35 \
      io.buildpacks.base.maintainer=imgext
USER 1000:1000
WORKDIR /workspace
