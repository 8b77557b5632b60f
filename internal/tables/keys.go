package tables

import (
	"strings"
	"time"
)

// DevicesKey is where the generator writes the static device table of the fleet.
const DevicesKey = "devices/devices.parquet"

// partitionLayout is the Hive partition of an object: date=YYYY-MM-DD/hour=HH, in UTC.
const partitionLayout = "date=2006-01-02/hour=15"

// Key returns the Hive-partitioned key of an object of table whose data starts at t:
// <table>/date=YYYY-MM-DD/hour=HH/<name>.parquet (UTC), so DuckDB, Spark or pandas read the lake
// as is and readers can skip hours outside a range.
func Key(table string, t time.Time, name string) string {
	return table + "/" + t.UTC().Format(partitionLayout) + "/" + name + ".parquet"
}

// KeyHour returns the hour a Hive-partitioned key belongs to, or false if it has no partition.
func KeyHour(key string) (time.Time, bool) {
	i := strings.Index(key, "date=")
	if i < 0 || len(key) < i+len(partitionLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(partitionLayout, key[i:i+len(partitionLayout)])
	return t, err == nil
}
