# relproof serve, the custom deployment protection rule, as a container:
#
#   docker build -t relproof .
#   docker run -p 8080:8080 -e RELPROOF_APP_ID=123456 \
#     -e RELPROOF_APP_KEY=/run/secrets/app.pem -e RELPROOF_WEBHOOK_SECRET_FILE=/run/secrets/webhook \
#     -v /path/to/secrets:/run/secrets:ro relproof
#
# Two stages: relproof is built reproducibly (no VCS stamp, no build id, no
# paths) in the Go image, and runs alone in an empty image as a user that
# is not root, with nothing but the binary and the CA certificates.
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY cmd ./cmd
COPY internal ./internal
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags='-buildid=' -o /relproof ./cmd/relproof

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /relproof /relproof
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/relproof", "serve"]
