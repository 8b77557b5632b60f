module github.com/netopsfn/netops/deploy/healthcheck

go 1.26.0
