CREATE INDEX ON public.partsupp (ps_suppkey);
CREATE INDEX ON public.lineitem (l_suppkey,l_partkey);
CREATE INDEX ON public.orders (o_custkey);
CREATE INDEX ON public.lineitem (l_orderkey,l_quantity);
CREATE INDEX ON public.lineitem (l_partkey,l_quantity);
