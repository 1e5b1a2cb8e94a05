/* The floor of the wirelab benchmark: a plain libpcap loop that reads every packet of a
 * capture file (pcap or pcapng) and touches nothing but the record header. No decoding and
 * no output; a decoder cannot read a file faster than this.
 *
 *   pcap_floor FILE      prints "<packets> packets, <bytes> captured bytes"
 *
 * Built by bench/run.sh: cc -O2 -o bench/out/pcap_floor bench/pcap_floor.c -lpcap
 */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char** argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 1;
    }
    char err[PCAP_ERRBUF_SIZE];
    pcap_t* p = pcap_open_offline(argv[1], err);
    if (!p) {
        fprintf(stderr, "pcap_floor: %s\n", err);
        return 2;
    }
    struct pcap_pkthdr* hdr;
    const unsigned char* data;
    unsigned long long packets = 0, bytes = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
        packets++;
        bytes += hdr->caplen;
    }
    if (rc == PCAP_ERROR) {
        fprintf(stderr, "pcap_floor: %s after %llu packets\n", pcap_geterr(p), packets);
        pcap_close(p);
        return 2;
    }
    pcap_close(p);
    printf("%llu packets, %llu captured bytes\n", packets, bytes);
    return 0;
}
