CREATE INDEX CONCURRENTLY lineitem_l_partkey_l_suppkey_idx ON public.lineitem (l_partkey, l_suppkey);
CREATE INDEX CONCURRENTLY lineitem_l_orderkey_idx ON public.lineitem (l_orderkey);
CREATE INDEX CONCURRENTLY part_p_brand_idx ON public.part (p_brand);
CREATE INDEX CONCURRENTLY orders_o_custkey_idx ON public.orders (o_custkey);
CREATE INDEX CONCURRENTLY partsupp_ps_suppkey_idx ON public.partsupp (ps_suppkey);
CREATE INDEX CONCURRENTLY part_p_size_idx ON public.part (p_size);
CREATE INDEX CONCURRENTLY customer_c_nationkey_idx ON public.customer (c_nationkey) INCLUDE (c_custkey);
