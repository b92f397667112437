// A Countercyclical webhook receiver for Go 1.21+, standard library only.
//
//	WEBHOOK_SECRET=whsec_... PORT=4000 go run receiver.go
//
// Copy VerifyWebhook into your service: call it with the request headers and the raw body bytes,
// before any JSON decoding. (Not run in CI, which has no Go toolchain; the Node and Python
// versions next to it are.)
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Tolerance refuses deliveries whose webhook-timestamp is further than this from now (replays).
const Tolerance = 5 * time.Minute

const maxBodyBytes = 1 << 20

var ErrVerification = errors.New("webhook verification failed")

// Event is the body of every delivery; Data.Object is the resource (decode it by Type).
type Event struct {
	ID          string    `json:"id"`
	Type        string    `json:"type"`
	CreatedAt   time.Time `json:"createdAt"`
	WorkspaceID string    `json:"workspaceId"`
	Actor       struct {
		Type string  `json:"type"`
		ID   *string `json:"id"`
	} `json:"actor"`
	Data struct {
		Object             json.RawMessage `json:"object"`
		PreviousAttributes json.RawMessage `json:"previousAttributes,omitempty"`
	} `json:"data"`
}

// VerifyWebhook checks the Standard Webhooks signature of one delivery and decodes it.
// secret is the webhook's signing secret, "whsec_<base64>".
func VerifyWebhook(secret string, header http.Header, body []byte, now time.Time) (*Event, error) {
	id := header.Get("webhook-id")
	timestamp := header.Get("webhook-timestamp")
	signatures := header.Get("webhook-signature")
	if id == "" || timestamp == "" || signatures == "" {
		return nil, fmt.Errorf("%w: missing webhook-id, webhook-timestamp or webhook-signature", ErrVerification)
	}
	seconds, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil || now.Sub(time.Unix(seconds, 0)).Abs() > Tolerance {
		return nil, fmt.Errorf("%w: webhook-timestamp is too far from now", ErrVerification)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return nil, fmt.Errorf("the secret is not whsec_<base64>: %v", err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "."))
	mac.Write(body)
	expected := mac.Sum(nil)
	// One "v1,<base64>" per live secret, space-separated (two while a rotated-out secret still signs).
	for _, entry := range strings.Split(signatures, " ") {
		version, signature, found := strings.Cut(entry, ",")
		if !found || version != "v1" {
			continue
		}
		given, err := base64.StdEncoding.DecodeString(signature)
		if err == nil && hmac.Equal(given, expected) {
			var event Event
			if err := json.Unmarshal(body, &event); err != nil {
				return nil, err
			}
			return &event, nil
		}
	}
	return nil, fmt.Errorf("%w: no valid signature", ErrVerification)
}

func main() {
	secret := os.Getenv("WEBHOOK_SECRET")
	if secret == "" {
		log.Fatal("Set WEBHOOK_SECRET to the webhook secret (whsec_...)")
	}
	// Delivery is at-least-once: skip an event id already processed. In production keep the ids
	// in your database (a unique column), not in memory.
	var mu sync.Mutex
	processed := map[string]bool{}

	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
		if err != nil {
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			return
		}
		event, err := VerifyWebhook(secret, r.Header, body, time.Now())
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		mu.Lock()
		seen := processed[event.ID]
		processed[event.ID] = true
		mu.Unlock()
		if !seen {
			// Your code here. Answer 5xx (or time out) to have the platform retry later.
			log.Printf("verified %s %s %s", event.ID, event.Type, event.Data.Object)
		}
		w.WriteHeader(http.StatusNoContent)
	})
	addr := os.Getenv("HOST") + ":" + envOr("PORT", "4000")
	log.Printf("listening on %s", addr)
	log.Fatal(http.ListenAndServe(addr, nil))
}

func envOr(name, fallback string) string {
	if value := os.Getenv(name); value != "" {
		return value
	}
	return fallback
}
