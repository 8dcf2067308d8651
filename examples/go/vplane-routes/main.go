// vplane-routes: a Go control plane's first steps against vplane's API —
// connect over the Unix socket, read the version and interfaces, program
// routes in one batch, look one up, and remove them. Built with Debian's
// Go gRPC and protobuf packages (see examples/go/build.sh).
//
//	vplane-routes -api unix:/run/vplane/api.sock -via 192.0.2.2 -count 100 -first 198.18.0.0
package main

import (
	"context"
	"encoding/binary"
	"flag"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	pb "vplane/v1"
)

// Debian's grpc-go (1.33) marshals with the old protobuf API (golang/protobuf
// 1.3), which cannot handle code from today's protoc-gen-go: encode with the
// current API instead.
type codec struct{}

func (codec) Marshal(v interface{}) ([]byte, error) { return proto.Marshal(v.(proto.Message)) }
func (codec) Unmarshal(data []byte, v interface{}) error {
	return proto.Unmarshal(data, v.(proto.Message))
}
func (codec) Name() string { return "proto" }

func fail(format string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "vplane-routes: "+format+"\n", a...)
	os.Exit(1)
}

func main() {
	api := flag.String("api", "unix:/run/vplane/api.sock", "API address (unix:<path> or 127.0.0.1:<port>)")
	via := flag.String("via", "", "IPv4 next hop of the routes (required)")
	first := flag.String("first", "198.18.0.0", "first /24 of the routes")
	count := flag.Int("count", 10, "number of consecutive /24 routes")
	keep := flag.Bool("keep", false, "leave the routes in place")
	flag.Parse()
	nh := net.ParseIP(*via).To4()
	base := net.ParseIP(*first).To4()
	if nh == nil || base == nil || *count < 1 {
		fail("give -via <IPv4 next hop>, -first <IPv4 address> and -count >= 1 (see -h)")
	}

	// Debian's grpc-go (1.33) has no unix: resolver yet: dial the socket ourselves.
	target, opts := *api, []grpc.DialOption{grpc.WithInsecure(), grpc.WithDefaultCallOptions(grpc.ForceCodec(codec{}))}
	if path := strings.TrimPrefix(*api, "unix:"); path != *api {
		target = "passthrough:///" + path
		opts = append(opts, grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}))
	}
	conn, err := grpc.Dial(target, opts...)
	if err != nil {
		fail("cannot reach %s: %v", *api, err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	v, err := pb.NewSystemClient(conn).Version(ctx, &pb.VersionRequest{})
	if err != nil {
		fail("version: %v", err)
	}
	fmt.Printf("vplane %s, API %d, %d worker(s)\n", v.Version, v.ApiVersion, v.Workers)
	ifs, err := pb.NewInterfacesClient(conn).List(ctx, &pb.ListInterfacesRequest{})
	if err != nil {
		fail("interfaces: %v", err)
	}
	for _, i := range ifs.Interfaces {
		fmt.Printf("  %-12s up=%v rx=%d tx=%d\n", i.Name, i.AdminUp, i.Counters.GetRxPackets(), i.Counters.GetTxPackets())
	}

	// One batch, each route applied or rejected on its own.
	routes := pb.NewRoutesClient(conn)
	start := binary.BigEndian.Uint32(base)
	batch := &pb.RouteBatch{BatchId: 1}
	for k := 0; k < *count; k++ {
		addr := make([]byte, 4)
		binary.BigEndian.PutUint32(addr, start+uint32(k)<<8)
		batch.Updates = append(batch.Updates, &pb.RouteUpdate{
			Op: pb.RouteOp_ROUTE_ADD,
			Route: &pb.Route{Prefix: &pb.IpPrefix{Address: addr, Length: 24},
				Paths: []*pb.Path{{NextHop: nh}}},
		})
	}
	r, err := routes.Apply(ctx, batch)
	if err != nil {
		fail("apply: %v", err)
	}
	fmt.Printf("added %d routes, %d rejected\n", r.Applied, len(r.Rejected))
	for _, x := range r.Rejected {
		fmt.Printf("  route %d: %s\n", x.Index, x.Reason)
	}
	found, err := routes.Lookup(ctx, &pb.RouteLookupRequest{Address: base})
	if err != nil {
		fail("lookup: %v", err)
	}
	fmt.Printf("lookup %s: %s/%d via %s\n", net.IP(base), net.IP(found.Prefix.Address), found.Prefix.Length,
		net.IP(found.Paths[0].NextHop))
	if *keep {
		return
	}
	for _, u := range batch.Updates {
		u.Op = pb.RouteOp_ROUTE_DEL
	}
	if r, err = routes.Apply(ctx, batch); err != nil {
		fail("delete: %v", err)
	}
	fmt.Printf("deleted %d routes\n", r.Applied)
}
