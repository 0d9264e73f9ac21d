// Command grpc-backend is the gRPC backend of bench/run.sh's grpc scenario, and its probe.
//
// It serves one unary method, /bench.Echo/Unary, over cleartext HTTP/2 (h2c, prior
// knowledge), answering every request with a message of -reply-bytes bytes. Messages are
// raw bytes (a codec that does not parse protobuf): the bench measures the proxies, not
// protobuf. With -probe ADDR it is instead a client: one unary call over TLS (certificate
// not verified: the bench's is self-signed) through a proxy, exit status 0 when the reply
// arrived with status OK and the expected size.
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
)

// rawCodec passes message bytes through; it registers under "proto" so that requests with
// content-type application/grpc (what h2load sends, and what every proxy sees) use it.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = append([]byte(nil), data...)
	return nil
}
func (rawCodec) Name() string { return "proto" }

const method = "/bench.Echo/Unary"

func main() {
	listen := flag.String("listen", "127.0.0.1:18093", "address to serve h2c gRPC on")
	replyBytes := flag.Int("reply-bytes", 100, "size of every reply message")
	probe := flag.String("probe", "", "instead of serving: call "+method+" once over TLS at this address")
	authority := flag.String("authority", "bench.local", "with -probe: the :authority (and SNI) to send")
	flag.Parse()
	encoding.RegisterCodec(rawCodec{})
	if *probe != "" {
		os.Exit(runProbe(*probe, *authority, *replyBytes))
	}
	serve(*listen, *replyBytes)
}

func serve(address string, replyBytes int) {
	reply := make([]byte, replyBytes)
	for i := range reply {
		reply[i] = 'x'
	}
	desc := grpc.ServiceDesc{
		ServiceName: "bench.Echo",
		HandlerType: (*any)(nil),
		Methods: []grpc.MethodDesc{{
			MethodName: "Unary",
			Handler: func(_ any, _ context.Context, decode func(any) error, _ grpc.UnaryServerInterceptor) (any, error) {
				var request []byte
				if err := decode(&request); err != nil {
					return nil, err
				}
				out := reply
				return &out, nil
			},
		}},
	}
	listener, err := net.Listen("tcp", address)
	if err != nil {
		log.Fatalf("listen %s: %v", address, err)
	}
	server := grpc.NewServer(grpc.MaxConcurrentStreams(10000))
	server.RegisterService(&desc, struct{}{})
	log.Printf("grpc-backend serving %s on %s (h2c), %d-byte replies", method, address, replyBytes)
	if err := server.Serve(listener); err != nil {
		log.Fatal(err)
	}
}

func runProbe(address, authority string, replyBytes int) int {
	creds := credentials.NewTLS(&tls.Config{InsecureSkipVerify: true, ServerName: authority, NextProtos: []string{"h2"}})
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(creds), grpc.WithAuthority(authority))
	if err != nil {
		fmt.Fprintf(os.Stderr, "probe %s: %v\n", address, err)
		return 1
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	request := []byte("bench")
	var reply []byte
	if err := conn.Invoke(ctx, method, &request, &reply); err != nil {
		fmt.Fprintf(os.Stderr, "probe %s: %v\n", address, err)
		return 1
	}
	if len(reply) != replyBytes {
		fmt.Fprintf(os.Stderr, "probe %s: reply of %d bytes, expected %d\n", address, len(reply), replyBytes)
		return 1
	}
	return 0
}
