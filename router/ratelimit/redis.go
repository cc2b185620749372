package ratelimit

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/virtual-store/virtual-store/router/config"
)

// takeScript is one token bucket step, atomic in Redis: refill by the time
// elapsed (Redis' clock), take a token if there is one, else say how long
// until there will be. The hash expires once the bucket would be full again.
var takeScript = redis.NewScript(`
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(b[1]) or burst
local ts = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - ts) / 1000000 * rate)
local allowed = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'ts', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return {allowed, tostring(wait)}
`)

// Redis is a Store shared by every router using the same Redis.
type Redis struct {
	client redis.UniversalClient
	prefix string
}

// NewRedis connects to url (redis://host:port/db) and checks it answers.
func NewRedis(ctx context.Context, url, prefix string) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %w", err)
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = 2*time.Second, 200*time.Millisecond, 200*time.Millisecond
	c := redis.NewClient(opt)
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("redis at %s: %w", opt.Addr, err)
	}
	return &Redis{client: c, prefix: prefix}, nil
}

// Close closes the connection pool.
func (r *Redis) Close() error { return r.client.Close() }

// Take implements Store.
func (r *Redis) Take(ctx context.Context, key string, b config.Bucket) (bool, time.Duration, error) {
	res, err := takeScript.Run(ctx, r.client, []string{r.prefix + key}, b.Rate, b.Burst).Slice()
	if err != nil {
		return false, 0, fmt.Errorf("rate limit script: %w", err)
	}
	if len(res) != 2 {
		return false, 0, fmt.Errorf("rate limit script: unexpected reply %v", res)
	}
	allowed, _ := res[0].(int64)
	ws, _ := res[1].(string)
	wait, _ := strconv.ParseFloat(ws, 64)
	if math.IsNaN(wait) || wait < 0 {
		wait = 1
	}
	return allowed == 1, time.Duration(wait * float64(time.Second)), nil
}
