# The build image of the realistic stack: Debian minbase (debootstrap, tools/lib/stack-debian.sh)
# with the CNB user 1000:1000. Opt-in: `tools/env stack debian ENGINE...`.
FROM scratch
ADD rootfs.tar /
RUN groupadd -g 1000 cnb \
 && useradd -u 1000 -g 1000 -m -d /home/cnb -s /bin/bash cnb \
 && mkdir -p /workspace /layers /platform /cnb \
 && chown 1000:1000 /workspace /layers
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    HOME=/home/cnb \
    CNB_USER_ID=1000 \
    CNB_GROUP_ID=1000 \
    CNB_STACK_ID=io.imgext.stacks.debian
LABEL io.buildpacks.stack.id=io.imgext.stacks.debian \
      io.buildpacks.base.distro.name=debian \
      io.buildpacks.base.maintainer=imgext
USER 1000:1000
WORKDIR /workspace
