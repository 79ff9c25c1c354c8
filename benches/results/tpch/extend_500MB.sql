CREATE INDEX ON public.lineitem (l_partkey,l_suppkey);
CREATE INDEX ON public.orders (o_custkey);
CREATE INDEX ON public.partsupp (ps_suppkey);
CREATE INDEX ON public.lineitem (l_orderkey);
CREATE INDEX ON public.partsupp (ps_partkey);
