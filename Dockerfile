# The ipvs-proxier container image: the proxier on Node 24, plus the userland an operator execs into the
# pod for (ipvsadm, ipset, iptables nft + legacy, conntrack, iproute2), and kmod: legacy iptables loads its
# table modules (iptable_filter, ...) by running modprobe itself; without it, in the chart's pod on a node
# where they were not loaded yet, iptables-legacy-restore failed with "unable to initialize table 'filter'".
#
#   docker build -t ipvs-proxier:0.1.0 .          # or podman/buildah build: from the public images below
#   npm run image                                  # here: e2e/image/build, no registry needed (see below)
#
# Where no registry is reachable, e2e/image/build builds this same file with buildah from two local bases
# made of Debian packages (e2e/image/build-base) by overriding BUILD_BASE and RUNTIME_BASE; they provide
# what the public images provide. See e2e/image/README.md.

# The build stage's base: Node 24 with npm at /usr/local/bin, the official node images' layout.
ARG BUILD_BASE=docker.io/library/node:24-bookworm-slim
# The final image's base: Debian bookworm, as the node image is built on (same glibc and libstdc++).
# The Node binary comes from the build stage, so npm, yarn and corepack stay out of the final image.
ARG RUNTIME_BASE=docker.io/library/debian:bookworm-slim

FROM ${BUILD_BASE} AS build
WORKDIR /src
# Dependencies first: this layer is reused while package*.json do not change.
COPY package.json package-lock.json ./
# npm ci is the only step that needs the network (the npm registry). Machines behind a TLS-inspecting
# proxy (as where e2e/image/build runs) pass the system CA bundle, which trusts the proxy, as the build
# secret "ca-bundle"; Node then adds it to its own CAs. Without the secret (a plain `docker build .`)
# the file is absent and npm uses Node's bundled CAs as usual. A secret is mounted for this step only:
# it is in no layer of any stage.
RUN --mount=type=secret,id=ca-bundle \
    if [ -s /run/secrets/ca-bundle ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca-bundle; fi; \
    npm ci --no-audit --no-fund --no-update-notifier --loglevel=warn
COPY tsconfig.json ./
COPY native-free-netlink native-free-netlink
COPY lib lib
# Compile (only lib/ and native-free-netlink/ are here: the tests and e2e tools are not in the image),
# drop the dev dependencies (typescript, mocha, chai, @types/*), then what no one loads at run time:
# type declarations (also the @types packages some dependencies list as dependencies), source maps,
# docs, and the prebuilt native bindings of other platforms (netlink's, the bare-* packages'). The result
# is laid out under /out as it goes into the final image, so one COPY moves it there. The node binary
# goes along from wherever this base has it.
RUN set -eu; \
    npm run build; \
    npm prune --omit=dev --no-audit --no-fund --no-update-notifier --loglevel=warn; \
    rm -rf node_modules/@types node_modules/.package-lock.json; \
    find node_modules dist \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \
        -o -iname 'readme.md' -o -iname 'changelog.md' -o -iname 'history.md' \) -type f -delete; \
    find node_modules -path '*/prebuilds/*' -prune -type d ! -name "linux-$(node -p process.arch)" \
        -exec rm -rf {} +; \
    app=/out/opt/ipvs-proxier; \
    mkdir -p "$app/dist" "$app/lib/cli" /out/usr/local/bin; \
    cp -a package.json node_modules "$app/"; \
    cp -a dist/lib dist/native-free-netlink "$app/dist/"; \
    cp -a lib/cli/ipvs-proxier lib/cli/node-flags "$app/lib/cli/"; \
    cp "$(command -v node)" /out/usr/local/bin/node; \
    ln -s /opt/ipvs-proxier/lib/cli/ipvs-proxier /out/usr/local/bin/ipvs-proxier

FROM ${RUNTIME_BASE}
# The userland operators exec into the pod for. The local runtime base already has these packages (then
# this step changes nothing and needs no network); debian:bookworm-slim gets them from Debian's mirror.
# Its dpkg configuration already leaves out docs, man pages and translations.
RUN set -eu; \
    missing=; \
    for p in ipvsadm ipset iptables conntrack iproute2 kmod; do \
        dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing="$missing $p"; \
    done; \
    if [ -n "$missing" ]; then \
        apt-get update; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing; \
        apt-get clean; \
        rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old; \
    fi
COPY --from=build /out/ /
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
LABEL org.opencontainers.image.title="ipvs-proxier" \
      org.opencontainers.image.description="Kubernetes service proxy that programs IPVS, ipset, iptables and kube-ipvs0 over netlink, as kube-proxy's IPVS mode does" \
      org.opencontainers.image.licenses="Apache-2.0"
# The launcher runs node with the V8 flags in lib/cli/node-flags. With no arguments it is
# `ipvs-proxier run`; `IMAGE --help`, `IMAGE dump`, `IMAGE --cleanup` work the same way. The chart sets
# `command: [ipvs-proxier]` (the same launcher, on PATH) and passes the flags as args.
ENTRYPOINT ["/opt/ipvs-proxier/lib/cli/ipvs-proxier"]
